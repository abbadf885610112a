"""Slack front end: slack-bolt app, Block Kit rendering, message sink and manifest."""
