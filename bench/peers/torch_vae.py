"""Peer benchmark: PyTorch CPU training throughput of a dense VAE 784-256-64-(2 mean, 2 log-variance)-64-256-784.

The same work as replearn's Vae({ inputDim: 784, hiddenSizes: [256, 64], latentDim: 2 }): a
reparameterised sample, binary cross-entropy on the logits summed over pixels plus the closed-form
KL, batch-mean. Random inputs in [0,1], batch 128, Adam, one warm-up epoch then one timed epoch of
4096 samples.
"""
import argparse
import time
import torch

ap = argparse.ArgumentParser()
ap.add_argument('--threads', type=int, help='torch thread count (default: torch decides)')
if (n := ap.parse_args().threads):
    torch.set_num_threads(n)

torch.manual_seed(0)
N, B = 4096, 128
x = torch.rand(N, 784)
L = torch.nn.Linear
R = torch.nn.ReLU
enc = torch.nn.Sequential(L(784, 256), R(), L(256, 64), R())
mean, log_var = L(64, 2), L(64, 2)
dec = torch.nn.Sequential(L(2, 64), R(), L(64, 256), R(), L(256, 784))
params = [*enc.parameters(), *mean.parameters(), *log_var.parameters(), *dec.parameters()]
opt = torch.optim.Adam(params)
bce = torch.nn.BCEWithLogitsLoss(reduction='sum')


def epoch():
    for i in range(0, N, B):
        b = x[i:i + B]
        opt.zero_grad()
        h = enc(b)
        mu, lv = mean(h), log_var(h)
        z = mu + torch.exp(0.5 * lv) * torch.randn_like(mu)
        rec = bce(dec(z), b) / b.shape[0]
        kl = -0.5 * torch.sum(1 + lv - mu ** 2 - lv.exp()) / b.shape[0]
        (rec + kl).backward()
        opt.step()


epoch()
t0 = time.perf_counter()
epoch()
dt = time.perf_counter() - t0
print(f"torch VAE {N / dt:.0f} samples/s ({torch.get_num_threads()} threads)")
