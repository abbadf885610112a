"""APScheduler jobs for scheduled work, in the bot's own event loop.

The jobs are defined here at start-up (explicit ids, `replace_existing`) and keep no
state of their own: each tick asks the use cases what is due. They claim their
periods in the database (`core.refresh`, `core.digests`), so a restart picks up where
the last process stopped and several instances on one PostgreSQL do each piece of work
once; this module only schedules.

- `watchlist-refresh`: every minute (`SCHEDULER_TICK_SECONDS`), runs the current refresh
  period (periods of `WATCHLIST_REFRESH_HOURS`, aligned to midnight UTC) unless another
  instance has it.
- `digests`: every minute, decides the digests that are due (DST-safe, each period
  once; after downtime only the latest missed one).
- `outbox`: every few seconds (`OUTBOX_POLL_SECONDS`), delivers what is due.
- `maintenance`: daily, drops search-cache days no digest can use any more.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.wiring import Services
from core.digests import MAX_LOOKBACK_DAYS
from core.refresh import RefreshReport
from core.tasks import TaskTracker

log = logging.getLogger(__name__)

REFRESH_JOB = "watchlist-refresh"
DIGEST_JOB = "digests"
OUTBOX_JOB = "outbox"
MAINTENANCE_JOB = "maintenance"

MAINTENANCE_HOURS = 24.0
SHUTDOWN_GRACE_SECONDS = 10.0


class BotScheduler:
    """Owns the `AsyncIOScheduler` and the job functions it calls."""

    def __init__(
        self,
        svc: Services,
        *,
        tick_seconds: float | None = None,
        outbox_seconds: float | None = None,
    ) -> None:
        self._svc = svc
        # SCHEDULER_TICK_SECONDS and OUTBOX_POLL_SECONDS unless given (60 s and 5 s)
        self._tick = tick_seconds or svc.settings.scheduler_tick_seconds
        self._outbox_every = outbox_seconds or svc.settings.outbox_poll_seconds
        self._scheduler: AsyncIOScheduler | None = None
        self._running = TaskTracker(
            log, failure="scheduled job %s failed; it runs again at its next tick"
        )

    @property
    def refresh_every(self) -> timedelta:
        return self._svc.work.refresher.every

    def start(self) -> None:
        """Add the jobs and start; must be called inside the running event loop."""
        aps = logging.getLogger("apscheduler")
        if aps.level == logging.NOTSET:
            # APScheduler logs every run at INFO: every 5 s for the outbox job. Our own
            # jobs log what they do; its warnings (missed runs) still come through.
            aps.setLevel(logging.WARNING)
        scheduler = AsyncIOScheduler(timezone=UTC)
        now = datetime.now(UTC)
        jobs: tuple[tuple[str, Callable[[], Awaitable[object]], float], ...] = (
            (REFRESH_JOB, self.refresh_tick, self._tick),
            (DIGEST_JOB, self.digest_tick, self._tick),
            (OUTBOX_JOB, self.outbox_tick, self._outbox_every),
            (MAINTENANCE_JOB, self.maintenance_tick, MAINTENANCE_HOURS * 3600),
        )
        for job_id, func, seconds in jobs:
            scheduler.add_job(
                self._guarded(job_id, func),
                IntervalTrigger(seconds=seconds, timezone=UTC),
                id=job_id,
                name=job_id,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=max(1, int(seconds)),
                next_run_time=now,  # catch up at once after a restart
            )
        scheduler.start()
        self._scheduler = scheduler
        log.info(
            "scheduler started as %s: refresh every %s, digests and outbox checked every "
            "%.0f s / %.0f s",
            self._svc.work.owner,
            self.refresh_every,
            self._tick,
            self._outbox_every,
        )

    def job_ids(self) -> list[str]:
        return [job.id for job in self._scheduler.get_jobs()] if self._scheduler else []

    async def stop(self, grace: float = SHUTDOWN_GRACE_SECONDS) -> None:
        """Let running jobs finish (up to `grace` seconds), cancel the rest, then stop.

        A job cut short loses nothing: its claim's lease runs out and another run
        finishes the work; undelivered messages stay in the outbox.
        """
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is None:
            return
        scheduler.pause()
        await self._running.drain(grace)
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)  # the shutdown runs on the loop's next iteration

    def _guarded(
        self, job_id: str, func: Callable[[], Awaitable[object]]
    ) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            self._running.track_current()
            await self._running.guard(func(), job_id)

        return run

    # -- the jobs ------------------------------------------------------------------

    async def refresh_tick(self) -> RefreshReport | None:
        """Run the current refresh period if nobody has (or whoever had it died)."""
        work = self._svc.work
        report = await work.refresher.run_due()
        if report is None:
            return None
        if report.alerts or report.notices:
            await work.delivery.deliver_due()
        return report

    async def digest_tick(self) -> None:
        work = self._svc.work
        if await work.digests.run_due():
            await work.delivery.deliver_due()

    async def outbox_tick(self) -> None:
        await self._svc.work.delivery.deliver_due()

    async def maintenance_tick(self) -> None:
        keep_from = self._svc.clock.now().date() - timedelta(days=MAX_LOOKBACK_DAYS)
        await self._svc.storage.prune(keep_from)
