"""`core.unit_of_work`: a command's held writes go out together when it ends."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from core import unit_of_work
from core.unit_of_work import held_writes


class Store:
    """A store that holds its writes inside a command and counts its flushes."""

    def __init__(self, *, fail: bool = False) -> None:
        self.written: list[list[Any]] = []
        self.fail = fail

    async def flush(self, values: list[Any]) -> None:
        if self.fail:
            raise OSError("disk full")
        self.written.append(values)

    async def put(self, key: str, value: Any) -> None:
        writes = unit_of_work.current()
        if writes is None or not writes.hold(self.flush, key, value):
            await self.flush([value])

    def get(self, key: str) -> Any:
        writes = unit_of_work.current()
        return writes.held(self.flush, key) if writes is not None else None


async def test_outside_a_command_writes_go_out_at_once() -> None:
    store = Store()
    await store.put("a", 1)
    await store.put("b", 2)
    assert store.written == [[1], [2]]


async def test_a_commands_writes_go_out_in_one_flush_when_it_ends() -> None:
    store = Store()
    async with held_writes() as writes:
        await store.put("a", 1)
        await store.put("b", 2)
        await store.put("a", 3)  # the later one replaces the earlier
        assert store.get("a") == 3  # the command reads what it holds
        assert len(writes) == 2
        assert store.written == []
    assert store.written == [[2, 3]]
    assert unit_of_work.current() is None


async def test_tasks_of_the_command_hold_into_the_same_writes() -> None:
    store = Store()
    async with held_writes():
        await asyncio.gather(*(store.put(f"k{i}", i) for i in range(5)))
    assert store.written == [[0, 1, 2, 3, 4]]


async def test_a_failed_command_still_writes_what_it_held_and_raises_its_error() -> None:
    store = Store()

    async def command() -> None:
        async with held_writes():
            await store.put("page", "paid for")
            raise ValueError("X said no")

    with pytest.raises(ValueError, match="X said no"):
        await command()
    assert store.written == [["paid for"]]


async def test_a_failed_write_is_raised_after_every_store_had_its_turn() -> None:
    broken, fine = Store(fail=True), Store()

    async def command() -> None:
        async with held_writes():
            await broken.put("a", 1)
            await fine.put("b", 2)

    with pytest.raises(OSError, match="disk full"):
        await command()
    assert fine.written == [[2]]


async def test_nested_blocks_share_the_outer_one() -> None:
    store = Store()
    async with held_writes() as outer:
        async with held_writes() as inner:
            await store.put("a", 1)
        assert inner is outer
        assert store.written == []
    assert store.written == [[1]]


async def test_a_task_that_outlives_its_command_writes_at_once() -> None:
    store = Store()
    started, go = asyncio.Event(), asyncio.Event()

    async def late() -> None:
        started.set()
        await go.wait()
        await store.put("late", 9)

    async with held_writes():
        task = asyncio.ensure_future(late())
        await started.wait()
    go.set()
    await task
    assert store.written == [[9]]
