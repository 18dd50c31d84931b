"""slaguard: SLA clocks in business time, warnings, escalation and reports."""

from slaguard.domain.calendar import BusinessCalendar

__version__ = "0.1.0"

__all__ = ["BusinessCalendar", "__version__"]
