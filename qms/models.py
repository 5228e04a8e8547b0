"""Models of the shared core, defined in their concern's module and collected here for Django."""
from qms.notifications import Notification  # noqa: F401
from qms.people import Department, User  # noqa: F401
from qms.workdays import CalendarDay, CalendarYear, UnknownCalendarYear  # noqa: F401
from qms.numbering import DocumentType, NumberCounter  # noqa: F401
from qms.excel.models import ImportBatch  # noqa: F401
from qms.signatures import Signature  # noqa: F401
from qms.workflow import Transition  # noqa: F401
from qms.deadlines import Deadline, DeadlineNotice  # noqa: F401
from qms.capa.models import Capa, CapaAction, CapaVerification  # noqa: F401
from qms.attachments import Attachment  # noqa: F401
from qms.company import CompanyProfile  # noqa: F401
from qms.submissions import SubmissionToken  # noqa: F401
from qms.lists import ListPreference, ListScene  # noqa: F401
from qms.countersign import Opinion  # noqa: F401
