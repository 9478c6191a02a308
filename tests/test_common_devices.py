"""``repcap.common.devices.resolve_device``: the one device check, with one-line errors."""

from __future__ import annotations

import pytest
import torch

from repcap.common.devices import resolve_device
from repcap.errors import DeviceError, command_line_wording


@pytest.fixture
def gpus(monkeypatch):
    """Pretend torch sees ``n`` CUDA GPUs (0: none)."""
    def set_count(n: int) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: n > 0)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: n)

    return set_count


def _one_line(exc) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


@pytest.mark.parametrize("count, expected", [(0, "cpu"), (2, "cuda")])
def test_default_is_cuda_when_present_else_cpu(gpus, count, expected):
    gpus(count)
    assert resolve_device() == torch.device(expected)
    assert resolve_device("") == torch.device(expected)


def test_cpu_and_a_torch_device_pass(gpus):
    gpus(0)
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")


@pytest.mark.parametrize("bad", ["gpu", "tpu", "cuda:x", 3.5])
def test_an_unknown_device_names_the_choices(bad):
    with pytest.raises(DeviceError) as info:
        resolve_device(bad)
    assert _one_line(info) == f"unknown device {bad!r}; use 'cpu', 'cuda', 'cuda:N' or 'mps'"


def test_cuda_without_a_gpu_says_to_use_the_cpu(gpus):
    gpus(0)
    for name in ("cuda", "cuda:0"):
        with pytest.raises(DeviceError) as info:
            resolve_device(name)
        assert _one_line(info) == (f"device {name!r} is not available here (torch sees no CUDA GPU); "
                                   "use device='cpu' instead")
        with command_line_wording(), pytest.raises(DeviceError, match="; use --device cpu instead$"):
            resolve_device(name)


def test_a_cuda_index_past_the_last_gpu(gpus):
    gpus(2)
    assert resolve_device("cuda:1") == torch.device("cuda:1")
    assert resolve_device("cuda") == torch.device("cuda")
    with pytest.raises(DeviceError) as info:
        resolve_device("cuda:5")
    assert _one_line(info) == "device 'cuda:5' does not exist: torch sees 2 CUDA GPU(s), 'cuda:0' to 'cuda:1'"


def test_mps_is_checked(monkeypatch):
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(DeviceError, match="no Apple MPS device.*device='cpu'"):
        resolve_device("mps")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert resolve_device("mps") == torch.device("mps")


def test_a_computation_may_allow_fewer_types(gpus):
    gpus(1)
    with pytest.raises(DeviceError) as info:
        resolve_device("mps", allowed=("cpu", "cuda"))
    assert _one_line(info) == "device 'mps' is not supported here; use 'cpu', 'cuda' or 'cuda:N'"
    with pytest.raises(DeviceError, match="use 'cpu'$"):
        resolve_device("cuda", allowed=("cpu",))


def test_a_device_error_is_a_value_error():
    with pytest.raises(ValueError):
        resolve_device("gpu")


def test_the_forward_pass_and_the_book_use_it(gpus):
    from repcap.book.notebook import device
    from repcap.sources.forward import device_and_dtype

    gpus(0)
    assert device() == "cpu"
    assert device_and_dtype(None) == ("cpu", torch.float32)
    with pytest.raises(DeviceError, match="no CUDA GPU"):
        device_and_dtype("cuda")
    gpus(1)
    assert device() == "cuda"
    assert device_and_dtype(None) == ("cuda", torch.bfloat16)


def test_torch_threads_sets_and_restores():
    import torch

    from repcap.common.devices import torch_threads

    before = torch.get_num_threads()
    with torch_threads(2):
        assert torch.get_num_threads() == 2
    assert torch.get_num_threads() == before
    with torch_threads(None):  # None leaves torch's setting alone
        assert torch.get_num_threads() == before
    with torch_threads(0):  # at least one thread
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
