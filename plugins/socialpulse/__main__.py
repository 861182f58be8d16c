import sys

from socialpulse.cli import main

sys.exit(main())
