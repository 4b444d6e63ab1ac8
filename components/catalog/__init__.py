"""The lake's catalog and query layer: Glue databases per layer (:class:`DataCatalog`) and the
stack's Athena workgroup (:class:`QueryWorkgroup`), with least-privilege policy helpers."""

from .component import DataCatalog as DataCatalog
from .component import DataCatalogArgs as DataCatalogArgs
from .documents import CATALOG_READ_ACTIONS as CATALOG_READ_ACTIONS
from .documents import CATALOG_WRITE_ACTIONS as CATALOG_WRITE_ACTIONS
from .documents import QUERY_ACTIONS as QUERY_ACTIONS
from .documents import catalog_access_document as catalog_access_document
from .documents import query_policy_document as query_policy_document
from .settings import ATHENA_ENGINE_VERSION as ATHENA_ENGINE_VERSION
from .settings import ATHENA_MIN_BYTES_SCANNED_CUTOFF as ATHENA_MIN_BYTES_SCANNED_CUTOFF
from .settings import RESULTS_PREFIX as RESULTS_PREFIX
from .settings import CatalogSettings as CatalogSettings
from .settings import QuerySettings as QuerySettings
from .settings import database_name as database_name
from .workgroup import QueryWorkgroup as QueryWorkgroup
from .workgroup import QueryWorkgroupArgs as QueryWorkgroupArgs
