using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using GenBias.Tests.Training;
using Xunit;

namespace GenBias.Tests;

/// <summary>Files a user can hand the library, each either loading or saying why.</summary>
public sealed class EdgeCaseTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("genbias-edges").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string SavedNeuron()
    {
        var network = new SeedNeuron();
        float[] parameters = new float[SeedNeuron.ParameterCount];
        parameters[0] = 0.5f;
        network.SetParameters(parameters);
        string path = Path.Combine(_folder, "neuron.json");
        ModelFile.Save(path, network);
        return path;
    }

    [Theory]
    [InlineData("0")]
    [InlineData("Tanh, Tanh")]
    [InlineData(" Tanh ")]
    [InlineData("HardTanh, Sigmoid")]
    [InlineData("5")]
    public void Item5_model_files_accept_only_exact_activation_names(string edited)
    {
        string path = SavedNeuron();
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"Tanh\"", $"\"{edited}\""));
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.Contains($"shape.layers[0].activation is '{edited}'", e.Message);
    }

    [Fact]
    public void Item5_activation_names_must_match_in_case_too()
    {
        string path = SavedNeuron();
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"Tanh\"", "\"tanh\""));
        Assert.Contains("shape.layers[0].activation is 'tanh'", Assert.Throws<InvalidDataException>(() => ModelFile.Load(path)).Message);
    }

    [Fact]
    public void Item6_an_unknown_csv_label_is_rejected_with_its_line()
    {
        const string csv = "1,0,yes\n0,1,no\n1,1,maybe\n";
        var e = Assert.Throws<InvalidDataException>(() =>
            TernaryDataset.FromCsv(new StringReader(csv), new TextDataOptions { PositiveLabel = "yes" }));
        Assert.Contains("line 3", e.Message);
        Assert.Contains("'maybe'", e.Message);

        e = Assert.Throws<InvalidDataException>(() =>
            TernaryDataset.FromCsv(new StringReader(csv), new TextDataOptions { PositiveLabel = "yes", NegativeLabel = "no" }));
        Assert.Contains("line 3: label 'maybe' is neither", e.Message);

        // One class against the rest, when asked for.
        TernaryDataset rest = TernaryDataset.FromCsv(new StringReader(csv), new TextDataOptions { PositiveLabel = "yes", OtherLabelsNegative = true });
        Assert.Equal(new byte[] { 1, 0, 0 }, rest.Labels.ToArray());
    }

    [Fact]
    public void Item6_an_arff_class_outside_its_declaration_is_rejected_with_its_line()
    {
        const string arff = "@relation r\n@attribute a {y,n}\n@attribute class {x,z}\n@data\ny,x\nn,w\n";
        var e = Assert.Throws<InvalidDataException>(() => TernaryDataset.FromArff(new StringReader(arff),
            new TextDataOptions { InputTokens = new System.Collections.Generic.Dictionary<string, sbyte> { ["y"] = 1, ["n"] = -1 }, PositiveLabel = "x" }));
        Assert.Contains("line 6: class 'w' is not one of the declared values {x, z}", e.Message);
    }

    [Fact]
    public void Item9_a_header_after_blank_lines_is_still_the_header()
    {
        TernaryDataset data = TernaryDataset.FromCsv(new StringReader("\n  \na,b,label\n1,-1,1\n0,1,0\n"), new TextDataOptions { HasHeader = true });
        Assert.Equal(2, data.Count);
        Assert.Equal(new sbyte[] { 1, -1, 0, 1 }, data.Inputs.ToArray());
    }

    [Fact]
    public void Item9_a_header_without_HasHeader_is_named_as_such()
    {
        var e = Assert.Throws<InvalidDataException>(() => TernaryDataset.FromCsv(new StringReader("a,b,label\n1,-1,1\n0,1,0\n"), new TextDataOptions()));
        Assert.Contains("Line 1 looks like a header ('label'): set HasHeader", e.Message);
    }

    [Fact]
    public void Item9_quoted_fields_load_and_an_unclosed_quote_names_its_line()
    {
        TernaryDataset data = TernaryDataset.FromCsv(new StringReader("\"1\", \"-1\",\"a, \"\"b\"\"\"\n0,1,c\n"), new TextDataOptions());
        Assert.Equal(new sbyte[] { 1, -1, 0, 1 }, data.Inputs.ToArray());
        Assert.Equal("c", data.PositiveLabelName);

        var e = Assert.Throws<InvalidDataException>(() => TernaryDataset.FromCsv(new StringReader("1,0,1\n1,\"0,1\n"), new TextDataOptions()));
        Assert.Contains("CSV line 2, column 2: the quote opened at character 3 is not closed", e.Message);
    }

    [Fact]
    public void Item10_a_directory_is_not_a_model_file()
    {
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(_folder));
        Assert.Contains("is a directory, not a model file", e.Message);
    }

    [Fact]
    public void Item11_an_oversized_model_file_is_refused_by_its_parameter_count_before_it_is_read()
    {
        string path = SavedNeuron();
        string json = File.ReadAllText(path);
        int at = json.IndexOf("\"parameters\": [", StringComparison.Ordinal) + "\"parameters\": [".Length;
        // About 60 MB of extra parameters.
        var huge = new StringBuilder(json.Length + 64_000_000);
        huge.Append(json, 0, at);
        for (int i = 0; i < 10_000_000; i++)
        {
            huge.Append("0.125,");
        }

        huge.Append(json, at, json.Length - at);
        File.WriteAllText(path, huge.ToString());
        huge.Clear();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("10000026 parameters, but the shape 25 → Dense(1, Tanh) has 26", e.Message);
        // The file's bytes are read once; no array of ten million floats (40 MB) or more is built.
        Assert.True(allocated < new FileInfo(path).Length + 16_000_000, $"{allocated:N0} bytes allocated for a {new FileInfo(path).Length:N0}-byte file");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }
}
