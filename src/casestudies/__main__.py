from casestudies.cli import main

raise SystemExit(main())
