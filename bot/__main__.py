"""`python -m bot` is the same as `influencer-bot`."""

import sys

from bot.cli import main

sys.exit(main())
