using System;
using System.IO;
using System.Text;

namespace GenBias;

/// <summary>
/// Writes a network as an ONNX model (opset 17): input <c>x</c> of shape [N, inputs] (float, values -1, 0, +1),
/// output <c>y</c> of shape [N, outputs]; each layer a <c>Gemm</c> (weights [out, in] with transB = 1, PyTorch's
/// <c>Linear</c> layout) followed by its activation: <c>Tanh</c>, <c>Sigmoid</c>, <c>Relu</c>, <c>Clip</c>(-1, 1) for
/// HardTanh, <c>Identity</c> for Linear, and for TernaryStep the composite (x &gt; 0.5) − (x &lt; −0.5).
/// </summary>
/// <remarks>
/// The protobuf is encoded here (field numbers of onnx.proto) rather than with a protobuf library, so that the runtime
/// keeps depending on the BCL alone. Another engine computes tanh and sums in its own way: its outputs differ from
/// <c>Forward</c> in the last bits (about 1e-7), so a certificate, which counts <c>Forward</c>'s own bits, does not carry
/// over exactly to inputs whose activation lies that close to a threshold in another engine.
/// </remarks>
public static class OnnxExport
{
    /// <summary>The ONNX opset the model declares.</summary>
    public const int Opset = 17;

    /// <summary>Writes <paramref name="network"/> as ONNX to <paramref name="path"/>, atomically.</summary>
    public static void Save(string path, ITernaryNetwork network)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(network);
        AtomicFile.Write(path, Write(network.Shape, network.Parameters));
    }

    /// <summary>The ONNX bytes of a network of <paramref name="shape"/> with <paramref name="parameters"/> (canonical layout).</summary>
    public static byte[] Write(NetworkShape shape, ReadOnlySpan<float> parameters)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ParameterPacking.CheckFinite(shape, parameters, nameof(parameters));
        var graph = new Proto();
        string current = "x";
        foreach (LayerShape layer in shape.Layers)
        {
            string w = $"layer{layer.Index}.weight", b = $"layer{layer.Index}.bias", z = $"layer{layer.Index}.pre";
            string y = layer.Index == shape.Layers.Length - 1 ? "y" : $"layer{layer.Index}.out";
            graph.Message(5, Tensor(w, [layer.Width, layer.InputCount], parameters.Slice(layer.WeightOffset, layer.Width * layer.InputCount)));
            graph.Message(5, Tensor(b, [layer.Width], parameters.Slice(layer.BiasOffset, layer.Width)));
            Proto gemm = Node("Gemm", $"layer{layer.Index}.gemm", [current, w, b], [z]);
            gemm.Message(5, new Proto().String(1, "transB").Varint(3, 1).Varint(20, 2)); // INT attribute
            graph.Message(1, gemm);
            AddActivation(graph, layer, z, y);
            current = y;
        }

        graph.String(2, "genbias");
        graph.Message(11, ValueInfo("x", shape.InputCount));
        graph.Message(12, ValueInfo("y", shape.OutputCount));
        var model = new Proto().Varint(1, 8).String(2, "GenBias").String(3, typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "");
        model.Message(8, new Proto().String(1, "").Varint(2, Opset));
        model.Message(7, graph);
        return model.ToArray();
    }

    private static void AddActivation(Proto graph, LayerShape layer, string z, string y)
    {
        string name = $"layer{layer.Index}";
        switch (layer.Activation)
        {
            case Activation.Tanh:
                graph.Message(1, Node("Tanh", name + ".tanh", [z], [y]));
                break;
            case Activation.Sigmoid:
                // GenBias's 0.5 + 0.5·tanh(x/2) is the logistic function.
                graph.Message(1, Node("Sigmoid", name + ".sigmoid", [z], [y]));
                break;
            case Activation.ReLU:
                graph.Message(1, Node("Relu", name + ".relu", [z], [y]));
                break;
            case Activation.Linear:
                graph.Message(1, Node("Identity", name + ".identity", [z], [y]));
                break;
            case Activation.HardTanh:
                graph.Message(5, Tensor(name + ".minus_one", [], [-1f]));
                graph.Message(5, Tensor(name + ".one", [], [1f]));
                graph.Message(1, Node("Clip", name + ".clip", [z, name + ".minus_one", name + ".one"], [y]));
                break;
            case Activation.TernaryStep:
                // (z > 0.5) − (z < −0.5), as floats.
                graph.Message(5, Tensor(name + ".dead_zone", [], [ActivationMath.TernaryStepDeadZone]));
                graph.Message(5, Tensor(name + ".minus_dead_zone", [], [-ActivationMath.TernaryStepDeadZone]));
                graph.Message(1, Node("Greater", name + ".above", [z, name + ".dead_zone"], [name + ".above"]));
                graph.Message(1, Node("Less", name + ".below", [z, name + ".minus_dead_zone"], [name + ".below"]));
                graph.Message(1, Node("Cast", name + ".above_float", [name + ".above"], [name + ".above_float"]).Message(5, CastToFloat()));
                graph.Message(1, Node("Cast", name + ".below_float", [name + ".below"], [name + ".below_float"]).Message(5, CastToFloat()));
                graph.Message(1, Node("Sub", name + ".step", [name + ".above_float", name + ".below_float"], [y]));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(layer), layer.Activation, "Undefined activation.");
        }
    }

    private static Proto CastToFloat() => new Proto().String(1, "to").Varint(3, 1).Varint(20, 2);

    private static Proto Node(string op, string name, string[] inputs, string[] outputs)
    {
        var node = new Proto();
        foreach (string input in inputs)
        {
            node.String(1, input);
        }

        foreach (string output in outputs)
        {
            node.String(2, output);
        }

        return node.String(3, name).String(4, op);
    }

    private static Proto Tensor(string name, long[] dims, ReadOnlySpan<float> values)
    {
        var tensor = new Proto();
        foreach (long d in dims)
        {
            tensor.Varint(1, (ulong)d);
        }

        tensor.Varint(2, 1); // FLOAT
        tensor.String(8, name);
        byte[] raw = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BitConverter.TryWriteBytes(raw.AsSpan(i * 4), values[i]); // raw_data is little-endian
        }

        return tensor.Bytes(9, raw);
    }

    private static Proto ValueInfo(string name, int width)
    {
        var shape = new Proto()
            .Message(1, new Proto().String(2, "N"))
            .Message(1, new Proto().Varint(1, (ulong)width));
        var tensorType = new Proto().Varint(1, 1).Message(2, shape);
        return new Proto().String(1, name).Message(2, new Proto().Message(1, tensorType));
    }

    /// <summary>Protobuf's wire format: varints and length-delimited fields.</summary>
    private sealed class Proto
    {
        private readonly MemoryStream _stream = new();

        public Proto Varint(int field, ulong value)
        {
            Key(field, 0);
            Raw(value);
            return this;
        }

        public Proto String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public Proto Message(int field, Proto message) => Bytes(field, message.ToArray());

        public Proto Bytes(int field, byte[] value)
        {
            Key(field, 2);
            Raw((ulong)value.Length);
            _stream.Write(value);
            return this;
        }

        public byte[] ToArray() => _stream.ToArray();

        private void Key(int field, int wire) => Raw((ulong)((field << 3) | wire));

        private void Raw(ulong value)
        {
            while (value >= 0x80)
            {
                _stream.WriteByte((byte)(value | 0x80));
                value >>= 7;
            }

            _stream.WriteByte((byte)value);
        }
    }
}
