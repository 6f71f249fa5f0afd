"""Flow nodes Viewflow 2.4 documents but does not ship."""

from viewflow.workflow.activation import Activation
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.nodes import If, Split, Switch
from viewflow.workflow.nodes.if_gate import IfActivation
from viewflow.workflow.nodes.split import SplitActivation
from viewflow.workflow.nodes.switch import SwitchActivation


class ForEachSplitActivation(SplitActivation):
    @Activation.status.super()
    def activate(self):
        for node, cond, data_source in self.flow_task._branches:
            if cond and not cond(self):
                continue
            if data_source is None:
                self.next_tasks.append((node, None))
            else:
                self.next_tasks.extend((node, item) for item in data_source(self))
        if not self.next_tasks:
            raise FlowRuntimeError(f"No next task available for {self.flow_task.name}")


class ForEachSplit(Split):
    """Parallel split with one task per item of `data_source(activation)`, the item stored as `task.data`.

    Viewflow 2.4 documents `Split.Next(node, case=None, data_source=None)` but its `Next` accepts no
    `data_source`; this node supplies exactly the documented behaviour and nothing more.
    """

    activation_class = ForEachSplitActivation

    def Next(self, node, case=None, data_source=None):
        self._activate_next.append((node, case, data_source))
        return self


class ReadingIfActivation(IfActivation):
    @Activation.status.super()
    def activate(self):
        with self.exception_guard():
            self._condition_result = self.flow_task._condition(self)


class ReadingIf(If):
    """Viewflow's If for a condition that only reads: no savepoint around it (Viewflow takes one so that a failing
    condition's writes roll back; a read has none, and the savepoint costs two statements per gateway)."""

    activation_class = ReadingIfActivation


class ReadingSwitchActivation(SwitchActivation):
    @Activation.status.super()
    def activate(self):
        with self.exception_guard():
            for node, cond in self.flow_task._branches:
                if cond is None or cond(self):
                    self.next_task = node
                    break
            if not self.next_task:
                raise FlowRuntimeError(f"No next task available for {self.flow_task.name}")


class ReadingSwitch(Switch):
    """Viewflow's Switch for conditions that only read, without the savepoint (as ReadingIf)."""

    activation_class = ReadingSwitchActivation
