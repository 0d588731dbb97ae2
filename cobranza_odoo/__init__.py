from . import controllers
from . import engine
from . import models
from . import reports
from . import wizards
