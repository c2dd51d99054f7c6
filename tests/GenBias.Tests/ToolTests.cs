using System;
using System.IO;
using System.Linq;
using GenBias.Tool;
using Xunit;

namespace GenBias.Tests;

/// <summary>The genbias command line, driven in-process: train, describe, certify, calibrate, export, generate; errors.</summary>
public sealed class ToolTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("genbias-tool").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Data()
    {
        var random = new Random(1);
        string path = Path.Combine(_folder, "data.csv");
        using var writer = new StreamWriter(path);
        writer.WriteLine("a,b,c,d,e,f,g,h,label");
        for (int r = 0; r < 400; r++)
        {
            int[] x = [.. Enumerable.Range(0, 8).Select(_ => random.Next(-1, 2))];
            writer.WriteLine($"{string.Join(",", x)},{(x.Take(3).Sum() >= 1 ? "yes" : "no")}");
        }

        return path;
    }

    [Fact]
    public void Train_certify_calibrate_export_and_generate_from_the_command_line()
    {
        string model = Path.Combine(_folder, "model.json");
        Assert.Equal(0, GenBiasTool.Run(["train", Data(), "--header", "--positive", "yes", "--layers", "6:tanh,1:tanh",
            "--prefer", "output > 0.5 at-least 0.4", "--epochs", "6", "--out", model]));
        LoadedModel loaded = ModelFile.Load(model);
        Assert.Equal("8 → Dense(6, Tanh) → Dense(1, Tanh)", loaded.Shape.ToString());
        Assert.Equal(Preference.OutputAbove(0.5, 0.4), loaded.Preferences.Single());

        Assert.Equal(0, GenBiasTool.Run(["info", model]));

        // Exit 0 when the certificate says met, 2 when not; the certificate is saved beside the model either way.
        int certified = GenBiasTool.Run(["certify", model]);
        Certificate certificate = Certificate.LoadFor(Certificate.PathBeside(model), new ReferenceNetwork(loaded.Shape, loaded.Parameters));
        Assert.True(certificate.Exact);
        Assert.Equal(certificate.Met ? 0 : 2, certified);

        string calibrated = Path.Combine(_folder, "calibrated.json");
        Assert.Equal(0, GenBiasTool.Run(["calibrate", model, "--prefer", "output > 0.5 at-least 0.7", "--out", calibrated]));
        var network = new ReferenceNetwork(loaded.Shape, ModelFile.Load(calibrated).Parameters);
        Assert.True(CoverageCounter.Count(network, Preference.OutputAbove(0.5, 0.7)).Fraction >= 0.7);

        string onnx = Path.Combine(_folder, "model.onnx");
        Assert.Equal(0, GenBiasTool.Run(["export", model, "--onnx", onnx]));
        Assert.Equal(OnnxExport.Write(loaded.Shape, loaded.Parameters), File.ReadAllBytes(onnx));

        Assert.Equal(0, GenBiasTool.Run(["generate", model, "--class", "Trained"]));
        string declaration = GenerateCommand.Declaration(loaded, "Trained", "Demo");
        Assert.Contains("[TernaryNetwork(Inputs = 8)]\n[Dense(6, Activation.Tanh)]\n[Dense(1, Activation.Tanh)]\npublic partial class Trained;", declaration);
    }

    [Theory]
    [InlineData("missing", "output > 0.5 at-least 0.6", "6:tanh,1:tanh")]
    [InlineData("data", "output > 0.5 at-least 0.6", "6:tanhh,1:tanh")]
    [InlineData("data", "output >> 0.5 at-least 0.6", "6:tanh,1:tanh")]
    [InlineData("data", "output > 0.5 at-least 0.6", "")]
    public void A_mistake_is_one_line_and_exit_code_1(string data, string prefer, string layers)
    {
        string path = data == "data" ? Data() : Path.Combine(_folder, "missing.csv");
        Assert.Equal(1, GenBiasTool.Run(["train", path, "--header", "--positive", "yes", "--layers", layers, "--prefer", prefer, "--out", Path.Combine(_folder, "m.json")]));
        Assert.False(File.Exists(Path.Combine(_folder, "m.json")));
    }

    [Theory]
    [InlineData("output > 0.5 at-least 0.6", -1, 0, 0.5, double.PositiveInfinity, PreferenceRelation.AtLeast, 0.6)]
    [InlineData("layer 0 neuron 3 < 0 at-most 0.2", 0, 3, double.NegativeInfinity, 0, PreferenceRelation.AtMost, 0.2)]
    [InlineData("layer 0 all in -0.5 0.5 about 0.5 ± 0.05", 0, null, -0.5, 0.5, PreferenceRelation.About, 0.5)]
    public void Preferences_are_read_from_text(string text, int layer, int? neuron, double lower, double upper, PreferenceRelation relation, double target)
    {
        Preference p = PreferenceText.Parse(text);
        Assert.Equal((layer, neuron, lower, upper, relation, target), (p.Layer, p.Neuron, p.Interval.Lower, p.Interval.Upper, p.Relation, p.Target));
    }
}
