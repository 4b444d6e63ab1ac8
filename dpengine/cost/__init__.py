"""``dataplatform cost``: an offline monthly estimate of a stack, from the same run as ``preview``.

:mod:`.model` (resources + usage + prices -> line items) with :mod:`.pricers` and :mod:`.storage`,
:mod:`.prices` (the shipped, dated price table), :mod:`.usage` (the usage file and its defaults),
:mod:`.compare` (the delta against another plan or stack), :mod:`.render` (text, JSON, markdown),
:mod:`.budget` (the estimate handed to the pack's budget policy) and :mod:`.update_prices` (rebuilds
the table from the AWS Price List bulk files).
"""

from . import pricers as pricers  # registers the pricers and the free types beside the model
from .compare import Delta as Delta
from .compare import compare as compare
from .model import Estimate as Estimate
from .model import Line as Line
from .model import Resource as Resource
from .model import classify as classify
from .model import estimate as estimate
from .model import from_plan as from_plan
from .model import from_records as from_records
from .prices import PriceError as PriceError
from .prices import PriceTable as PriceTable
from .usage import Usage as Usage
from .usage import load_usage as load_usage
from .usage import parse_usage as parse_usage

__all__ = [
    "Delta",
    "Estimate",
    "Line",
    "PriceError",
    "PriceTable",
    "Resource",
    "Usage",
    "classify",
    "compare",
    "estimate",
    "from_plan",
    "from_records",
    "load_usage",
    "parse_usage",
]
