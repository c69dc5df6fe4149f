"""Input channels that credentials.yml names: the internal REST channel and Slack."""
