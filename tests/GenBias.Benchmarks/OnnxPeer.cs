using System;
using Microsoft.ML.OnnxRuntime;

namespace GenBias.Benchmarks;

/// <summary>
/// The same network in ONNX Runtime: one intra-op thread (unless asked), all graph optimisations, inputs and outputs
/// bound once to pinned buffers (IOBinding), so a run measures only the engine.
/// </summary>
internal sealed class OnnxPeer : IDisposable
{
    private readonly InferenceSession _session;
    private readonly OrtIoBinding _binding;
    private readonly OrtValue _input;
    private readonly OrtValue _output;
    private readonly RunOptions _run = new();

    public OnnxPeer(NetworkShape shape, ReadOnlySpan<float> parameters, float[] inputs, float[] outputs, int threads = 1)
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        _session = new InferenceSession(OnnxExport.Write(shape, parameters), options);
        int rows = inputs.Length / shape.InputCount;
        _input = OrtValue.CreateTensorValueFromMemory(inputs, [rows, shape.InputCount]);
        _output = OrtValue.CreateTensorValueFromMemory(outputs, [rows, shape.OutputCount]);
        _binding = _session.CreateIoBinding();
        _binding.BindInput("x", _input);
        _binding.BindOutput(_session.OutputNames[0], _output);
    }

    public void Run() => _session.RunWithBinding(_run, _binding);

    public void Dispose()
    {
        _binding.Dispose();
        _input.Dispose();
        _output.Dispose();
        _session.Dispose();
        _run.Dispose();
    }
}
