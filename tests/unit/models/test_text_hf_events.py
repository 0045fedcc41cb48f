"""TensorBoard event files written without TensorBoard: framing, CRCs, protobuf encoding."""

from __future__ import annotations

import struct

import pytest

from bizforge.errors import DataError
from bizforge.models.text_hf.events import EventWriter, crc32c, event_file_name, read_events


def _event_class():
    """The real protobuf Event/Summary messages, built from a descriptor (no TensorFlow)."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    f = descriptor_pb2.FileDescriptorProto(name="bf_event_test.proto", package="bftest",
                                           syntax="proto3")
    value = f.message_type.add(name="Value")
    value.field.add(name="tag", number=1, type=9, label=1)
    value.field.add(name="simple_value", number=2, type=2, label=1)
    summary = f.message_type.add(name="Summary")
    summary.field.add(name="value", number=1, type=11, label=3, type_name=".bftest.Value")
    event = f.message_type.add(name="Event")
    event.field.add(name="wall_time", number=1, type=1, label=1)
    event.field.add(name="step", number=2, type=3, label=1)
    event.field.add(name="file_version", number=3, type=9, label=1)
    event.field.add(name="summary", number=5, type=11, label=1, type_name=".bftest.Summary")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("bftest.Event"))


def _records(data: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos < len(data):
        (n,) = struct.unpack("<Q", data[pos:pos + 8])
        out.append(data[pos + 12:pos + 12 + n])
        pos += 16 + n
    return out


def test_crc32c_matches_the_standard_check_value():
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"") == 0


def test_scalars_read_back_with_tags_steps_and_values():
    writer = EventWriter(clock=lambda: 1000.5)
    writer.add_scalar("train/loss", 0.25, step=10)
    writer.add_scalar("valid/accuracy", 0.875, step=20)
    events = read_events(writer.getvalue())
    assert [(e.tag, e.step, e.value, e.wall_time) for e in events] == [
        ("train/loss", 10, 0.25, 1000.5), ("valid/accuracy", 20, 0.875, 1000.5)]


def test_records_parse_as_real_protobuf_event_messages():
    Event = _event_class()
    writer = EventWriter(clock=lambda: 12.0)
    writer.add_scalar("train/learning_rate", 5e-5, step=300)
    first, second = (Event.FromString(r) for r in _records(writer.getvalue()))
    assert first.file_version == "brain.Event:2" and first.wall_time == 12.0
    assert second.step == 300
    assert second.summary.value[0].tag == "train/learning_rate"
    assert second.summary.value[0].simple_value == pytest.approx(5e-5, rel=1e-6)


def test_corrupt_record_is_reported_with_its_position():
    writer = EventWriter()
    writer.add_scalar("train/loss", 1.0, step=1)
    data = bytearray(writer.getvalue())
    data[-6] ^= 0xFF
    with pytest.raises(DataError, match="corrupt record at byte"):
        read_events(bytes(data))


def test_live_file_holds_the_same_bytes_as_memory(tmp_path):
    path = tmp_path / "run" / event_file_name(1700000000)
    writer = EventWriter(path)
    for step in range(3):
        writer.add_scalar("train/loss", 1.0 / (step + 1), step=step)
    assert path.name == "events.out.tfevents.1700000000.bizforge"
    assert path.read_bytes() == writer.getvalue()
    assert [e.step for e in read_events(path)] == [0, 1, 2]


def test_tensorboard_reads_the_file_when_installed(tmp_path):
    accumulator = pytest.importorskip(
        "tensorboard.backend.event_processing.event_accumulator",
        reason="tensorboard is not a dependency; the protobuf test above covers the format")
    path = tmp_path / event_file_name()
    writer = EventWriter(path)
    writer.add_scalar("valid/accuracy", 0.5, step=7)
    acc = accumulator.EventAccumulator(str(tmp_path))
    acc.Reload()
    assert [(s.step, s.value) for s in acc.Scalars("valid/accuracy")] == [(7, 0.5)]
