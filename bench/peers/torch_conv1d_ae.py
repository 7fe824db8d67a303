"""Peer benchmark: PyTorch CPU training throughput of replearn's 1-D convolutional autoencoder.

ConvAutoencoder({ inputShape: [128, 1], filters: [16, 16], kernelSize: 5 }):
Conv1d(16,5,same,relu) -> MaxPool(2) -> Conv1d(16,5,same,relu) -> MaxPool(2) ->
ConvTranspose1d(16,5,stride 2,same,relu) x2 -> Conv1d(1,5,same) + sigmoid; 4,065 parameters.
Random signals in [0,1] of length 128, batch 128, Adam, binary cross-entropy, one warm-up epoch
then one timed epoch of 2048 samples.
"""
import argparse
import time
import torch

ap = argparse.ArgumentParser()
ap.add_argument('--threads', type=int, help='torch thread count (default: torch decides)')
if (n := ap.parse_args().threads):
    torch.set_num_threads(n)

torch.manual_seed(0)
N, B = 2048, 128
x = torch.rand(N, 1, 128)
nn = torch.nn
m = nn.Sequential(
    nn.Conv1d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
    nn.Conv1d(16, 16, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
    nn.ConvTranspose1d(16, 16, 5, stride=2, padding=2, output_padding=1), nn.ReLU(),
    nn.ConvTranspose1d(16, 16, 5, stride=2, padding=2, output_padding=1), nn.ReLU(),
    nn.Conv1d(16, 1, 5, padding=2), nn.Sigmoid())
assert sum(p.numel() for p in m.parameters()) == 4065, sum(p.numel() for p in m.parameters())
opt = torch.optim.Adam(m.parameters())
loss_fn = nn.BCELoss()


def epoch():
    for i in range(0, N, B):
        b = x[i:i + B]
        opt.zero_grad()
        loss = loss_fn(m(b), b)
        loss.backward()
        opt.step()


epoch()
t0 = time.perf_counter()
epoch()
dt = time.perf_counter() - t0
print(f"torch conv1d AE {N / dt:.0f} samples/s ({torch.get_num_threads()} threads)")
