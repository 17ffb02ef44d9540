"""MXNet-style from-scratch training (Dive into Deep Learning, ch. 3-5) runs unchanged.

The model code below is the book's MXNet code with only the import changed.
Each model trains on every installed backend; the loss must go down and the
final parameters must match the same training done with ``torch.autograd``
(same initial values, same data, same mini-batch order) to float32 tolerance.
"""

from __future__ import annotations

import random

import numpy
import pytest

import ag_bridge
from ag_bridge import autograd, np, npx

npx.set_np()
torch = pytest.importorskip("torch")

RTOL, ATOL = 2e-4, 2e-5


# ---------------------------------------------------------------- the book's code
def synthetic_data(w, b, num_examples):
    """Generate y = Xw + b + noise."""
    X = np.random.normal(0, 1, (num_examples, len(w)))
    y = np.dot(X, w) + b
    y += np.random.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    # The examples are read at random, in no particular order
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch_indices = np.array(indices[i: min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]


def linreg(X, w, b):
    """The linear regression model."""
    return np.dot(X, w) + b


def squared_loss(y_hat, y):
    """Squared loss."""
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    """Minibatch stochastic gradient descent."""
    for param in params:
        param[:] = param - lr * param.grad / batch_size


def softmax(X):
    X_exp = np.exp(X)
    partition = X_exp.sum(1, keepdims=True)
    return X_exp / partition  # The broadcasting mechanism is applied here


def cross_entropy(y_hat, y):
    return - np.log(y_hat[range(len(y_hat)), y])


def accuracy(y_hat, y):
    """Compute the number of correct predictions."""
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.astype(y.dtype) == y
    return float(cmp.astype(y.dtype).sum())


def relu(X):
    return np.maximum(X, 0)


# ---------------------------------------------------------------- helpers
def train(net, loss, params, features, labels, lr, batch_size, num_epochs, seed=0):
    """The book's training loop; returns the training loss after each epoch."""
    holders = [p.grad for p in params]
    buffers = [ag_bridge.unwrap(p.grad) for p in params]
    random.seed(seed)
    losses = [float(loss(net(features), labels).mean())]
    for _ in range(num_epochs):
        for X, y in data_iter(batch_size, features, labels):
            with autograd.record():
                l = loss(net(X), y)  # noqa: E741 - the book's name
            l.backward()
            sgd(params, lr, batch_size)
        losses.append(float(loss(net(features), labels).mean()))
    # param[:] = ... keeps each parameter the same leaf with the same gradient buffer
    backend = params[0]._backend
    for p, h, buf in zip(params, holders, buffers, strict=True):
        assert p.grad is h and p.grad_req == "write"
        if backend.mutable:
            assert ag_bridge.unwrap(p.grad) is buf
    return losses


def train_torch(net, loss, params, features, labels, lr, batch_size, num_epochs, seed=0):
    """The same loop with torch.autograd (the reference)."""
    random.seed(seed)
    n = len(features)
    for _ in range(num_epochs):
        indices = list(range(n))
        random.shuffle(indices)
        for i in range(0, n, batch_size):
            idx = torch.tensor(indices[i: min(i + batch_size, n)])
            l = loss(net(features[idx]), labels[idx])  # noqa: E741
            l.sum().backward()
            with torch.no_grad():
                for p in params:
                    p.copy_(p - lr * p.grad / batch_size)
                    p.grad = None
    return params


def tt(a, **kw):
    return torch.tensor(a.asnumpy(), **kw)


def assert_matches(ours, reference):
    for p, q in zip(ours, reference, strict=True):
        numpy.testing.assert_allclose(p.asnumpy(), q.detach().numpy(), rtol=RTOL, atol=ATOL)


def classification_data(n=240):
    """Three Gaussian blobs in 4-D; labels made the MXNet way (np.array of ints: float32)."""
    centres = numpy.array([[2.0, 0, 0, 1], [0, 2.0, 0, -1], [0, 0, 2.0, 0]])
    rng = numpy.random.default_rng(1)
    labels = [i % 3 for i in range(n)]
    X = centres[labels] + rng.standard_normal((n, 4))
    return np.array(X.astype(numpy.float32)), np.array(labels)


@pytest.fixture
def trainable(backend):
    """The conftest backend (the book's ``features[batch_indices]`` leaves axes implicit:
    the array-api-strict plugin translates it into the standard's one-index-per-axis form;
    on Dask each ``param[:] = ...`` persists the parameter, so the graph does not grow)."""
    return backend


# ---------------------------------------------------------------- tests
def test_linear_regression(trainable):
    np.random.seed(42)
    true_w = np.array([2, -3.4])
    true_b = 4.2
    features, labels = synthetic_data(true_w, true_b, 1000)
    w = np.random.normal(0, 0.01, (2, 1))
    b = np.zeros(1)
    w0, b0 = w.asnumpy(), b.asnumpy()
    w.attach_grad()
    b.attach_grad()

    lr, num_epochs, batch_size = 0.03, 3, 10
    losses = train(lambda X: linreg(X, w, b), squared_loss, [w, b], features, labels, lr,
                   batch_size, num_epochs)
    assert losses[-1] < losses[0] / 100 and losses[-1] < 1e-3
    numpy.testing.assert_allclose(w.asnumpy().ravel(), [2, -3.4], atol=0.01)

    tw = torch.tensor(w0, requires_grad=True)
    tb = torch.tensor(b0, requires_grad=True)
    train_torch(lambda X: X @ tw + tb, lambda yh, y: (yh - y.reshape(yh.shape)) ** 2 / 2, [tw, tb],
                tt(features), tt(labels), lr, batch_size, num_epochs)
    assert_matches([w, b], [tw, tb])


def test_softmax_regression(trainable):
    features, labels = classification_data()
    assert labels.asnumpy().dtype == numpy.float32  # MXNet numpy mode: labels index as floats
    num_inputs, num_outputs = 4, 3
    np.random.seed(0)
    W = np.random.normal(0, 0.01, (num_inputs, num_outputs))
    b = np.zeros(num_outputs)
    W0, b0 = W.asnumpy(), b.asnumpy()
    W.attach_grad()
    b.attach_grad()

    def net(X):
        return softmax(np.dot(X.reshape((-1, W.shape[0])), W) + b)

    lr, num_epochs, batch_size = 0.1, 5, 16
    before = accuracy(net(features), labels)
    losses = train(net, cross_entropy, [W, b], features, labels, lr, batch_size, num_epochs)
    assert all(later < earlier for earlier, later in zip(losses, losses[1:], strict=False))
    assert accuracy(net(features), labels) > max(before, 0.8 * len(labels))

    tW = torch.tensor(W0, requires_grad=True)
    tb = torch.tensor(b0, requires_grad=True)

    def tnet(X):
        Z = torch.exp(X.reshape((-1, tW.shape[0])) @ tW + tb)
        return Z / Z.sum(1, keepdim=True)

    train_torch(tnet, lambda yh, y: -torch.log(yh[range(len(yh)), y]), [tW, tb], tt(features),
                tt(labels, dtype=torch.int64), lr, batch_size, num_epochs)
    assert_matches([W, b], [tW, tb])


def test_mlp(trainable):
    features, labels = classification_data()
    num_inputs, num_outputs, num_hiddens = 4, 3, 16
    np.random.seed(1)
    W1 = np.random.normal(scale=0.5, size=(num_inputs, num_hiddens))
    b1 = np.zeros(num_hiddens)
    W2 = np.random.normal(scale=0.5, size=(num_hiddens, num_outputs))
    b2 = np.zeros(num_outputs)
    params = [W1, b1, W2, b2]
    init = [p.asnumpy() for p in params]
    for param in params:
        param.attach_grad()

    def net(X):
        X = X.reshape((-1, num_inputs))
        H = relu(np.dot(X, W1) + b1)
        return softmax(np.dot(H, W2) + b2)

    lr, num_epochs, batch_size = 0.1, 5, 16
    losses = train(net, cross_entropy, params, features, labels, lr, batch_size, num_epochs)
    assert losses[-1] < losses[0] / 2
    assert accuracy(net(features), labels) > 0.8 * len(labels)

    tparams = [torch.tensor(p, requires_grad=True) for p in init]

    def tnet(X):
        tW1, tb1, tW2, tb2 = tparams
        H = torch.maximum(X.reshape((-1, num_inputs)) @ tW1 + tb1, torch.tensor(0.0))
        Z = torch.exp(H @ tW2 + tb2)
        return Z / Z.sum(1, keepdim=True)

    train_torch(tnet, lambda yh, y: -torch.log(yh[range(len(yh)), y]), tparams, tt(features),
                tt(labels, dtype=torch.int64), lr, batch_size, num_epochs)
    assert_matches(params, tparams)


def test_npx_operators_train_the_same_mlp(backend):
    """npx.relu / npx.log_softmax / npx.pick give the same gradients as the hand-written model."""
    features, labels = classification_data(48)
    np.random.seed(3)
    W1 = np.random.normal(scale=0.5, size=(4, 8))
    W2 = np.random.normal(scale=0.5, size=(8, 3))
    grads = []
    for use_npx in (False, True):
        for p in (W1, W2):
            p.attach_grad()
        with autograd.record():
            if use_npx:
                logits = np.dot(npx.relu(np.dot(features, W1)), W2)
                l = -npx.pick(npx.log_softmax(logits), labels)  # noqa: E741
            else:
                l = cross_entropy(softmax(np.dot(relu(np.dot(features, W1)), W2)), labels)  # noqa: E741
        l.backward()
        grads.append([W1.grad.asnumpy(), W2.grad.asnumpy()])
    for a, b in zip(*grads, strict=True):
        numpy.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def _softmax_fit(name):
    """The softmax regression above trained on backend ``name``; its final (W, b) as NumPy."""
    with ag_bridge.use_backend(name):
        features, labels = classification_data()
        np.random.seed(0)
        W = np.random.normal(0, 0.01, (4, 3))
        b = np.zeros(3)
        W.attach_grad()
        b.attach_grad()
        train(lambda X: softmax(np.dot(X, W) + b), cross_entropy, [W, b], features, labels, 0.1, 16, 3)
        return W.asnumpy(), b.asnumpy()


def test_array_api_strict_trains_like_numpy():
    """The strict plugin's key translation (``features[batch_indices]``) changes no number."""
    if "array_api_strict" not in ag_bridge.available_backends():
        pytest.skip("array_api_strict is not installed")
    for ours, ref in zip(_softmax_fit("array_api_strict"), _softmax_fit("numpy"), strict=True):
        numpy.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-7)
