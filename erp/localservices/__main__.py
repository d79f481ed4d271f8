"""`python -m erp.localservices …`"""

import sys

from erp.localservices.cli import main

sys.exit(main())
