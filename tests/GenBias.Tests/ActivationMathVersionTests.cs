using System;
using System.Globalization;
using System.IO;
using System.Linq;
using Xunit;

namespace GenBias.Tests;

/// <summary>
/// A model file and a certificate written by GenBias 0.4.0 under activation math version 1 (tests/GenBias.Tests/data/
/// activation-math-1): the model loads with its parameters unchanged and says which math it was written under, its
/// outputs move by at most the documented bound, and its certificate is refused with a message that says to
/// certify again.
/// </summary>
public sealed class ActivationMathVersionTests : IDisposable
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "data", "activation-math-1");
    private static readonly string ModelPath = Path.Combine(Folder, "v1-12-4-1.json");
    private static readonly string CertificatePath = Path.Combine(Folder, "v1-12-4-1.certificate.json");
    private readonly string _temp = Directory.CreateTempSubdirectory("genbias-math").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public void A_version_1_model_loads_with_its_parameters_and_names_its_math()
    {
        LoadedModel model = ModelFile.Load(ModelPath);
        Assert.Equal(1, model.ActivationMathVersion);
        Assert.True(model.WrittenUnderOlderMath);
        Assert.Equal(NetworkShape.Create(12, (4, Activation.Tanh), (1, Activation.Tanh)), model.Shape);
        // The parameters are the file's, bit for bit (the file holds round-trip floats).
        string text = File.ReadAllText(ModelPath);
        string list = text[(text.IndexOf("\"parameters\": [", StringComparison.Ordinal) + 15)..];
        float[] written = [.. list[..list.IndexOf(']')].Split(',').Select(s => float.Parse(s, CultureInfo.InvariantCulture))];
        Assert.Equal(written, model.Parameters);
        Assert.Single(model.Preferences);
    }

    [Fact]
    public void A_version_1_models_outputs_move_by_at_most_the_bound()
    {
        LoadedModel model = ModelFile.Load(ModelPath);
        var network = new ReferenceNetwork(model.Shape, model.Parameters);
        LayerShape output = model.Shape.Layers[1];
        // A hidden activation moves by at most δ, the output's pre-activation by Σ|w|·δ, its tanh (slope ≤ 1) by that
        // plus its own δ.
        double delta = ModelFile.Version1OutputChange;
        double weights = Enumerable.Range(0, output.InputCount).Sum(j => Math.Abs(model.Parameters[output.WeightIndex(0, j)]));
        double bound = (delta * weights) + delta;
        int lines = 0, moved = 0;
        foreach (string line in File.ReadLines(Path.Combine(Folder, "v1-12-4-1.outputs.txt")).Where(l => !l.StartsWith('#')))
        {
            string[] fields = line.Split(' ');
            sbyte[] input = [.. fields[..12].Select(sbyte.Parse)];
            float then = float.Parse(fields[12], CultureInfo.InvariantCulture);
            float[] now = new float[1];
            network.Forward(input, now);
            Assert.True(Math.Abs(now[0] - then) <= bound, $"input {string.Join(" ", input)}: {then} then, {now[0]} now (bound {bound})");
            moved += now[0] != then ? 1 : 0;
            lines++;
        }

        Assert.Equal(64, lines);
        Assert.True(moved > 0, "no output moved: the network is not evaluated under another math");
    }

    [Fact]
    public void A_version_1_certificate_is_refused_with_a_message_to_certify_again()
    {
        LoadedModel model = ModelFile.Load(ModelPath);
        var network = new ReferenceNetwork(model.Shape, model.Parameters);
        Certificate old = Certificate.Load(CertificatePath);
        Assert.Equal(1, old.MathVersion);
        var error = Assert.Throws<InvalidDataException>(() => Certificate.LoadFor(CertificatePath, network));
        Assert.Contains("activation math version 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("certify this network again (genbias certify)", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => Certificate.LoadFor(CertificatePath, network, model.Preferences[0]));

        // Certified again, under version 2: the new certificate names the math and loads for the network.
        Certificate again = Certifier.Certify(network, model.Preferences[0]);
        Assert.Equal(ActivationMath.Version, again.MathVersion);
        string path = Path.Combine(_temp, "again.certificate.json");
        again.Save(path);
        Assert.Equal(again.Count, Certificate.LoadFor(path, network, model.Preferences[0]).Count);
        Assert.Contains("\"mathVersion\": 2", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.Contains($"activation math {ActivationMath.Version}", again.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Saving_writes_format_version_2_and_the_hash_names_the_math()
    {
        LoadedModel model = ModelFile.Load(ModelPath);
        var network = new ReferenceNetwork(model.Shape, model.Parameters);
        Certificate old = Certificate.Load(CertificatePath);
        // The same parameters under another math are another network.
        Assert.NotEqual(old.NetworkHash, CoverageCounter.NetworkHash(network));
        string path = Path.Combine(_temp, "v2.json");
        ModelFile.Save(path, network, model.Preferences);
        Assert.Contains("\"formatVersion\":2", File.ReadAllText(path).Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);
        LoadedModel again = ModelFile.Load(path);
        Assert.Equal(ActivationMath.Version, again.ActivationMathVersion);
        Assert.False(again.WrittenUnderOlderMath);
        Assert.Equal(model.Parameters, again.Parameters);
    }

    [Fact]
    public void A_certificate_naming_an_unknown_math_is_inconsistent()
    {
        string path = Path.Combine(_temp, "future.certificate.json");
        File.WriteAllText(path, File.ReadAllText(CertificatePath).Replace("\"shape\":", "\"mathVersion\": 3,\n  \"shape\":", StringComparison.Ordinal));
        var error = Assert.Throws<InvalidDataException>(() => Certificate.Load(path));
        Assert.Contains("activation math version 3", error.Message, StringComparison.Ordinal);
    }
}
