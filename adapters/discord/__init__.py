"""Discord front end: a discord.py client whose slash commands come from `core.commands`."""
