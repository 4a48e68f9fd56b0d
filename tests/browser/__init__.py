"""Real-browser tests (Playwright driving Debian's Chromium)."""
