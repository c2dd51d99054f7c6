using System;
using System.Linq;
using System.Text.Json;
using GenBias.Tests.Coverage;
using Xunit;

namespace GenBias.Tests;

public class TorchExportTests
{
    [Fact]
    public void The_state_dict_holds_every_parameter_in_pytorch_layout()
    {
        TwoHidden9x8x5x1 network = ExactCountTests.Network<TwoHidden9x8x5x1>(4);
        NetworkShape shape = TwoHidden9x8x5x1.Shape;
        using JsonDocument document = JsonDocument.Parse(TorchExport.Write(shape, network.Parameters));
        JsonElement layers = document.RootElement.GetProperty("layers");
        Assert.Equal(["Tanh", "HardTanh", "Tanh"], layers.EnumerateArray().Select(l => l.GetProperty("activation").GetString()));
        JsonElement state = document.RootElement.GetProperty("state_dict");
        foreach (LayerShape layer in shape.Layers)
        {
            JsonElement weight = state.GetProperty($"{2 * layer.Index}.weight");
            Assert.Equal(layer.Width, weight.GetArrayLength());
            for (int k = 0; k < layer.Width; k++)
            {
                float[] row = [.. weight[k].EnumerateArray().Select(v => v.GetSingle())];
                Assert.Equal(network.Parameters.Slice(layer.WeightIndex(k, 0), layer.InputCount).ToArray(), row);
            }

            Assert.Equal(network.Parameters.Slice(layer.BiasOffset, layer.Width).ToArray(),
                state.GetProperty($"{2 * layer.Index}.bias").EnumerateArray().Select(v => v.GetSingle()).ToArray());
        }
    }
}
