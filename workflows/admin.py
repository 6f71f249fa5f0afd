"""The admin shows no Viewflow process or task: every move of a case goes through its front door (actions.py),
permission-checked and audited; editing the engine's rows here would bypass both (and the admin showed them under
English headings)."""

from django.contrib import admin
from viewflow.workflow.models import Process, Task

admin.site.unregister(Process)
admin.site.unregister(Task)
