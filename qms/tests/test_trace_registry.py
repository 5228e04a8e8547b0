"""qms.trace: the batches written in a text, and the customers of every registered tracer merged per customer."""
from qms import trace


def test_batches_are_split_on_the_usual_separators_each_once():
    assert trace.split_batches("B-01、B-02, b-01；B-03 B-04\nB-05") == ["B-01", "B-02", "B-03", "B-04", "B-05"]
    assert trace.split_batches("") == []


def test_recipients_of_every_tracer_are_merged_per_customer(monkeypatch):
    monkeypatch.setattr(trace, "_tracers", [])
    trace.register_recipients(lambda batches: [trace.Recipient(2, "乙医院", ("FH-1",), ("B-01",)),
                                               trace.Recipient(1, "甲医院", ("FH-2",), ("B-01",))])
    trace.register_recipients(lambda batches: [trace.Recipient(2, "乙医院", ("FH-3",), ("B-02",))])
    found = trace.recipients_for(["B-01", "B-02"])
    assert [(r.name, r.shipments, r.batches) for r in found] == [
        ("乙医院", ("FH-1", "FH-3"), ("B-01", "B-02")), ("甲医院", ("FH-2",), ("B-01",))]
    assert trace.recipients_for([]) == []
