using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using GenBias.Tests.Training;
using Xunit;

namespace GenBias.Tests;

public class DataTests
{
    private static readonly Dictionary<string, sbyte> Votes = new() { ["y"] = 1, ["n"] = -1, ["?"] = 0 };

    [Fact]
    public void Vote_arff_loads_with_y_n_and_unknown_mapped()
    {
        TernaryDataset data = TernaryDataset.FromArff(Path.Combine(AppContext.BaseDirectory, "data", "vote.arff"),
            new TextDataOptions { InputTokens = Votes, PositiveLabel = "republican" });
        Assert.Equal(435, data.Count);
        Assert.Equal(16, data.InputCount);
        Assert.Equal(168, data.PositiveCount);
        Assert.Equal("republican", data.PositiveLabelName);
        // Every vote value occurs, and '?' became 0.
        Assert.Equal([-1, 0, 1], data.Inputs.ToArray().Distinct().Order().Select(v => (int)v));
    }

    [Fact]
    public void Malformed_rows_name_their_line_and_nothing_is_returned()
    {
        const string arff = "@relation r\n@attribute a {y,n}\n@attribute b {y,n}\n@attribute class {x,z}\n@data\ny,n,x\ny,x\n";
        var error = Assert.Throws<InvalidDataException>(() => TernaryDataset.FromArff(new StringReader(arff), new TextDataOptions { InputTokens = Votes }));
        Assert.Contains("line 7", error.Message);
        Assert.Contains("2 values", error.Message);

        var csv = Assert.Throws<InvalidDataException>(() => TernaryDataset.FromCsv(new StringReader("1,0,1\n0,1\n"), new TextDataOptions()));
        Assert.Contains("line 2: 2 columns", csv.Message);
        var token = Assert.Throws<InvalidDataException>(() =>
            TernaryDataset.FromCsv(new StringReader("y,n,1\ny,maybe,0\n"), new TextDataOptions { InputTokens = Votes }));
        Assert.Contains("line 2, column 2: 'maybe'", token.Message);
        var labels = Assert.Throws<InvalidDataException>(() => TernaryDataset.FromCsv(new StringReader("1,0,a\n0,1,b\n1,1,c\n"), new TextDataOptions()));
        Assert.Contains("not binary", labels.Message);
    }

    [Fact]
    public void Csv_with_a_header_and_the_label_first_loads()
    {
        TernaryDataset data = TernaryDataset.FromCsv(new StringReader("label,a,b\n1,-1,0\n0,1,1\n"), new TextDataOptions { HasHeader = true, LabelColumn = 0 });
        Assert.Equal(2, data.Count);
        Assert.Equal(new sbyte[] { -1, 0, 1, 1 }, data.Inputs.ToArray());
        Assert.Equal(new byte[] { 1, 0 }, data.Labels.ToArray());
    }
}

public sealed class ModelFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("genbias-model").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private SeedHidden Trained(out TrainingReport report)
    {
        var network = new SeedHidden();
        report = PreferenceTrainer.Train(network, SeedProblem.Data(500, 3), new TrainerOptions { Epochs = 3, Preferences = [Preference.OutputAbove(0.5, 0.6)] });
        return network;
    }

    [Fact]
    public void A_saved_model_loads_back_with_the_same_bits_and_preferences()
    {
        SeedHidden network = Trained(out TrainingReport report);
        string path = Path.Combine(_folder, "seed.json");
        Preference[] preferences = [Preference.OutputAbove(0.5, 0.6), new Preference { Layer = 0, Neuron = null, Interval = ActivationInterval.Between(-0.5, 0.5), Target = 0.3, Relation = PreferenceRelation.About, Tolerance = 0.05 }];
        ModelFile.Save(path, network, preferences, report.ToDocument(new TrainerOptions { Epochs = 3 }));

        var copy = new SeedHidden();
        LoadedModel model = ModelFile.LoadInto(path, copy);
        Assert.Equal(network.Parameters.ToArray().Select(BitConverter.SingleToInt32Bits), copy.Parameters.ToArray().Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(preferences, model.Preferences);
        Assert.Equal(SeedHidden.Shape, model.Shape);
        Assert.Equal(report.Epochs.Count, model.Training!.Epochs);
        Assert.Equal(report.TrainAccuracy, model.Training.TrainAccuracy);
        Assert.Contains("Adam, Logistic loss", model.Training.Settings);
        Assert.Single(Directory.GetFiles(_folder));
    }

    [Fact]
    public void Wrong_shape_truncation_edits_and_versions_are_reported()
    {
        SeedHidden network = Trained(out _);
        string path = Path.Combine(_folder, "seed.json");
        ModelFile.Save(path, network);
        string json = File.ReadAllText(path);

        Assert.Contains("holds a 25 → Dense(8, Tanh) → Dense(1, Tanh) network; this network is 25 → Dense(1, Tanh)",
            Assert.Throws<InvalidDataException>(() => ModelFile.LoadInto(path, new SeedNeuron())).Message);

        File.WriteAllText(path, json[..(json.Length / 2)]);
        Assert.Contains("truncated or edited", Assert.Throws<InvalidDataException>(() => ModelFile.Load(path)).Message);

        File.WriteAllText(path, json.Replace($"\"formatVersion\": {ModelFile.FormatVersion}", "\"formatVersion\": 7", StringComparison.Ordinal));
        Assert.Contains("newer GenBias", Assert.Throws<InvalidDataException>(() => ModelFile.Load(path)).Message);

        int at = json.IndexOf("\"parameters\": [", StringComparison.Ordinal) + "\"parameters\": [".Length;
        int end = json.IndexOf(',', at);
        File.WriteAllText(path, json[..at] + "\"NaN\"" + json[end..]);
        Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));

        File.WriteAllText(path, json[..at] + "1e39" + json[end..]);
        Assert.Contains("parameters[0] (layer 0, neuron 0, weight of input 0)", Assert.Throws<InvalidDataException>(() => ModelFile.Load(path)).Message);

        File.WriteAllText(path, json[..at] + json[(end + 1)..]);
        string message = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path)).Message;
        Assert.Contains("216 parameters, but the shape 25 → Dense(8, Tanh) → Dense(1, Tanh) has 217", message);

        File.WriteAllText(path, json.Replace("\"Tanh\"", "\"Tanhh\""));
        Assert.Contains("shape.layers[0].activation is 'Tanhh'", Assert.Throws<InvalidDataException>(() => ModelFile.Load(path)).Message);
    }
}
