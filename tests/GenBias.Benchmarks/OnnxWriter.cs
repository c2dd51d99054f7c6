using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace GenBias.Benchmarks;

/// <summary>
/// A minimal ONNX writer for the benchmark peer: a network of <see cref="NetworkShape"/> as Gemm (transB = 1) and
/// activation nodes over a float input [N, inputs], opset 17. Hand-encoded protobuf (onnx.proto field numbers), so the
/// benchmarks need no code generator. Sigmoid is 0.5 + 0.5·tanh(x/2) in GenBias, which ONNX's Sigmoid equals.
/// </summary>
internal static class OnnxWriter
{
    public static byte[] Write(NetworkShape shape, ReadOnlySpan<float> parameters)
    {
        var graph = new Proto();
        string current = "x";
        foreach (LayerShape layer in shape.Layers)
        {
            string w = $"W{layer.Index}", b = $"B{layer.Index}", z = $"z{layer.Index}", y = $"y{layer.Index}";
            graph.Message(5, Tensor(w, [layer.Width, layer.InputCount], parameters.Slice(layer.WeightOffset, layer.Width * layer.InputCount)));
            graph.Message(5, Tensor(b, [layer.Width], parameters.Slice(layer.BiasOffset, layer.Width)));
            var gemm = new Proto().String(1, current).String(1, w).String(1, b).String(2, z).String(3, $"gemm{layer.Index}").String(4, "Gemm");
            gemm.Message(5, new Proto().String(1, "transB").Varint(3, 1).Varint(20, 2));
            graph.Message(1, gemm);
            switch (layer.Activation)
            {
                case Activation.Linear:
                    graph.Message(1, new Proto().String(1, z).String(2, y).String(4, "Identity"));
                    break;
                case Activation.Tanh:
                    graph.Message(1, new Proto().String(1, z).String(2, y).String(4, "Tanh"));
                    break;
                case Activation.Sigmoid:
                    graph.Message(1, new Proto().String(1, z).String(2, y).String(4, "Sigmoid"));
                    break;
                case Activation.ReLU:
                    graph.Message(1, new Proto().String(1, z).String(2, y).String(4, "Relu"));
                    break;
                default:
                    throw new NotSupportedException($"The benchmark writer has no ONNX form of {layer.Activation}.");
            }

            current = y;
        }

        graph.String(2, "genbias");
        graph.Message(11, ValueInfo("x", shape.InputCount));
        graph.Message(12, ValueInfo(current, shape.OutputCount));
        var model = new Proto().Varint(1, 8).String(2, "GenBias.Benchmarks");
        model.Message(8, new Proto().String(1, "").Varint(2, 17));
        model.Message(7, graph);
        return model.ToArray();
    }

    private static Proto Tensor(string name, long[] dims, ReadOnlySpan<float> values)
    {
        var t = new Proto();
        foreach (long d in dims)
        {
            t.Varint(1, (ulong)d);
        }

        t.Varint(2, 1); // FLOAT
        t.String(8, name);
        byte[] raw = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BitConverter.TryWriteBytes(raw.AsSpan(i * 4), values[i]);
        }

        return t.Bytes(9, raw);
    }

    private static Proto ValueInfo(string name, int width)
    {
        var shape = new Proto()
            .Message(1, new Proto().String(2, "N"))
            .Message(1, new Proto().Varint(1, (ulong)width));
        var tensorType = new Proto().Varint(1, 1).Message(2, shape);
        return new Proto().String(1, name).Message(2, new Proto().Message(1, tensorType));
    }

    /// <summary>Protobuf wire format: varints and length-delimited fields.</summary>
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
