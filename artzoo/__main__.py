from artzoo.cli import main

raise SystemExit(main())
