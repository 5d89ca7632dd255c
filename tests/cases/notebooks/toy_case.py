# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Toy case (test fixture)
# A tiny MLP fitted to a noisy linear map on random tensors. It exists to prove the sweep ->
# record -> report path end to end; its numbers are real but mean nothing about faces.

# %% tags=["parameters"]
steps = 20  # optimiser steps; small so a run takes about a second
lr = 0.05  # SGD learning rate
hidden = 8  # hidden units of the MLP
noise = 0.1  # std of the label noise
seed = 0  # seeds data and initialisation
fail = False  # raise inside a cell (tests that failures are recorded)
sleep_s = 0.0  # extra seconds per step (tests that a sweep can be killed mid-run)
tag = "none"  # free-form label, used by tests to vary runs

# %%
import os
import time

import torch

from casestudies import runlog

run = runlog.current()
run.set_data_sources({"train": "random tensors (toy fixture)", "test": "random tensors (toy fixture)"})
if os.environ.get("CASESTUDIES_TEST_LOG"):
    with open(os.environ["CASESTUDIES_TEST_LOG"], "a") as f:
        f.write(f"start {seed} {lr} {tag} {os.getpid()}\n")

# %%
g = torch.Generator().manual_seed(seed)
w_true = torch.randn(4, 1, generator=g)
x_train, x_test = torch.randn(256, 4, generator=g), torch.randn(128, 4, generator=g)
y_train = x_train @ w_true + noise * torch.randn(256, 1, generator=g)
y_test = x_test @ w_true + noise * torch.randn(128, 1, generator=g)
torch.manual_seed(seed)
model = torch.nn.Sequential(torch.nn.Linear(4, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, 1))
opt = torch.optim.SGD(model.parameters(), lr=lr)

# %%
if fail:
    raise RuntimeError("toy case asked to fail (fail=True)")
with run.timer("train"):
    for step in range(steps):
        loss = torch.nn.functional.mse_loss(model(x_train), y_train)
        opt.zero_grad()
        loss.backward()
        opt.step()
        run.log(step=step, loss=float(loss))
        if sleep_s:
            time.sleep(sleep_s)

# %%
with torch.no_grad():
    pred = model(x_test)
    mse = float(torch.nn.functional.mse_loss(pred, y_test))
    r2 = 1.0 - mse / float(y_test.var(unbiased=False))
run.set_metrics({"test": {"mse": mse, "r2": r2}, "train_loss": float(loss)})
if os.environ.get("CASESTUDIES_TEST_LOG"):
    with open(os.environ["CASESTUDIES_TEST_LOG"], "a") as f:
        f.write(f"finish {seed} {lr} {tag} {os.getpid()}\n")
print(f"test MSE {mse:.4f}, R2 {r2:.3f}")
