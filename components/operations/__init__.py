"""Operating a stack: alerts, alarms, budget, backups and disaster recovery."""

from .component import BACKUP_MANAGED_POLICIES as BACKUP_MANAGED_POLICIES
from .component import BACKUP_VAULT_EVENTS as BACKUP_VAULT_EVENTS
from .component import Operations as Operations
from .component import OperationsArgs as OperationsArgs
from .documents import ALERT_PUBLISHERS as ALERT_PUBLISHERS
from .documents import AlarmSpec as AlarmSpec
from .documents import MonitoredQueue as MonitoredQueue
from .recovery import DisasterRecovery as DisasterRecovery
from .recovery import DisasterRecoveryArgs as DisasterRecoveryArgs
from .settings import AlarmSettings as AlarmSettings
from .settings import AlertSettings as AlertSettings
from .settings import BackupRuleSettings as BackupRuleSettings
from .settings import BackupSettings as BackupSettings
from .settings import BudgetSettings as BudgetSettings
from .settings import DisasterRecoverySettings as DisasterRecoverySettings
from .settings import OperationsSettings as OperationsSettings
from .settings import SubscriptionSettings as SubscriptionSettings
from .settings import VaultLockSettings as VaultLockSettings
