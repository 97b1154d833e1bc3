"""Words the dashboard shows for states and kinds: English msgids, translated where they are rendered."""

from __future__ import annotations

from mailyard.domain import runs, tasks, templates


def translatable(message: str) -> str:
    """Marks a msgid for the catalogue; the translation happens where it is shown."""
    return message


TASK_STATES = {
    tasks.TaskState.PENDING: translatable("Waiting"),
    tasks.TaskState.SENDING: translatable("Sending"),
    tasks.TaskState.SUSPENDED: translatable("Quota reached"),
    tasks.TaskState.ERROR: translatable("Error"),
    tasks.TaskState.DONE: translatable("Done"),
    tasks.TaskState.CANCELLED: translatable("Cancelled"),
}
PAUSED = translatable("Paused")
TASK_TYPES = {
    tasks.TaskType.IMMEDIATE: translatable("Now"),
    tasks.TaskType.SCHEDULED: translatable("At a time"),
    tasks.TaskType.RECURRING: translatable("Recurring"),
}
TYPE_NAMES = {
    "immediate": tasks.TaskType.IMMEDIATE,
    "scheduled": tasks.TaskType.SCHEDULED,
    "recurring": tasks.TaskType.RECURRING,
}
DELIVERY_STATES = {
    runs.DeliveryState.QUEUED: translatable("Queued"),
    runs.DeliveryState.SENDING: translatable("Sending"),
    runs.DeliveryState.SENT: translatable("Sent"),
    runs.DeliveryState.FAILED: translatable("Failed"),
    runs.DeliveryState.SKIPPED: translatable("Skipped"),
}
RUN_STATES = {
    runs.RunStatus.PROCESSING: translatable("Sending"),
    runs.RunStatus.SENT: translatable("Done"),
    runs.RunStatus.FAILED: translatable("Failed"),
}
REVIEW_STATES = {
    templates.ReviewStatus.APPROVED: translatable("Approved"),
    templates.ReviewStatus.PENDING: translatable("Awaiting review"),
    templates.ReviewStatus.REJECTED: translatable("Rejected"),
}

# The headers a message page shows first, by the names a mail client gives them.
HEADER_NAMES = {
    "From": translatable("From"),
    "To": translatable("To"),
    "Cc": translatable("Cc"),
    "Reply-To": translatable("Reply-To"),
    "Date": translatable("Date"),
}


def task_status(task: tasks.Task) -> tuple[str, str]:
    """The status a person sees: a colour name and a msgid (paused wins over the state while it lasts)."""
    if task.paused and task.state not in (tasks.TaskState.DONE, tasks.TaskState.CANCELLED):
        return "paused", PAUSED
    return task.state.value, TASK_STATES[task.state]


def task_is_live(task: tasks.Task) -> bool:
    """Whether the task page should keep polling for progress."""
    return task.state in (tasks.TaskState.PENDING, tasks.TaskState.SENDING, tasks.TaskState.SUSPENDED)
