// Everything a user of the tensor + autograd layers needs, in one include.
#pragma once
#include <bertology/autograd/functions.h>
#include <bertology/autograd/graph.h>
#include <bertology/autograd/optim.h>
#include <bertology/tensor/parallel.h>
#include <bertology/tensor/tensor.h>
