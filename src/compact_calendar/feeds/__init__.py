"""Pure rendering of the published files: iCalendar feeds and the web page."""
