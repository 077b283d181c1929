from compact_calendar.cli import main

raise SystemExit(main())
