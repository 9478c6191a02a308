import sys

from repcap.cli import main

sys.exit(main())
