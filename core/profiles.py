"""One account in full: `/profile @handle` (issue 12). Skeleton; the profiles helper fills it in."""

from __future__ import annotations

from core.models import ProfileView, Scope


class Profiles:
    """Look an account up and gather its tier, growth, last audit and contact hints."""

    async def profile(self, handle: str, scope: Scope) -> ProfileView:
        raise NotImplementedError
