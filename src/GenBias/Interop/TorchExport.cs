using System;
using System.IO;
using System.Text;
using System.Text.Json;

namespace GenBias;

/// <summary>
/// Writes a network's parameters in PyTorch's layout, as JSON: the <c>state_dict</c> of an
/// <c>nn.Sequential(Linear, activation, Linear, activation, …)</c> (keys <c>"0.weight"</c> [out, in], <c>"0.bias"</c>,
/// <c>"2.weight"</c>, …) and the layers (<c>in</c>, <c>out</c>, <c>activation</c>) to rebuild it. README.md shows the
/// few lines of Python that load it. TernaryStep has no PyTorch module; the file names it and the reader decides.
/// </summary>
public static class TorchExport
{
    /// <summary>Writes the JSON to <paramref name="path"/>, atomically.</summary>
    public static void Save(string path, ITernaryNetwork network)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(network);
        AtomicFile.Write(path, Write(network.Shape, network.Parameters));
    }

    /// <summary>The JSON of a network of <paramref name="shape"/> with <paramref name="parameters"/> (canonical layout).</summary>
    public static byte[] Write(NetworkShape shape, ReadOnlySpan<float> parameters)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ParameterPacking.CheckFinite(shape, parameters, nameof(parameters));
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartArray("layers");
            foreach (LayerShape layer in shape.Layers)
            {
                json.WriteStartObject();
                json.WriteNumber("in", layer.InputCount);
                json.WriteNumber("out", layer.Width);
                json.WriteString("activation", layer.Activation.ToString());
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartObject("state_dict");
            foreach (LayerShape layer in shape.Layers)
            {
                // In nn.Sequential the activations are modules too: layer l's Linear is module 2l.
                json.WriteStartArray($"{2 * layer.Index}.weight");
                for (int k = 0; k < layer.Width; k++)
                {
                    json.WriteStartArray();
                    foreach (float w in parameters.Slice(layer.WeightIndex(k, 0), layer.InputCount))
                    {
                        json.WriteNumberValue(w);
                    }

                    json.WriteEndArray();
                }

                json.WriteEndArray();
                json.WriteStartArray($"{2 * layer.Index}.bias");
                foreach (float b in parameters.Slice(layer.BiasOffset, layer.Width))
                {
                    json.WriteNumberValue(b);
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return stream.ToArray();
    }
}
