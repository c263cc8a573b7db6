from sdmission.cli import main

raise SystemExit(main())
