using System;
using System.IO;
using System.Linq;
using GenBias.Tool;
using Xunit;

namespace GenBias.Tests;

/// <summary>
/// The genbias command when misused: several preferences to certify, misspelt options, non-integer layers, negative
/// budgets, names that are not C#, missing output folders, directories given for files.
/// </summary>
public sealed class RobustnessToolTests : IDisposable
{
    private static readonly NetworkShape Shape = NetworkShape.Create(6, [(4, Activation.Tanh), (1, Activation.Tanh)]);

    private readonly string _folder = Directory.CreateTempSubdirectory("genbias-robust-tool").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>A 6 → 4 → 1 network on the exact grid whose output is above 0.5 on part of the cube, but not all (the first such seed).</summary>
    private static ReferenceNetwork MixedNetwork(out double fraction)
    {
        for (int seed = 1; ; seed++)
        {
            var random = new Random(seed);
            float[] parameters = [.. Enumerable.Range(0, Shape.ParameterCount).Select(_ => (float)((random.NextDouble() * 4) - 2))];
            FixedPointGrid.SnapFirstLayer(Shape, parameters);
            var network = new ReferenceNetwork(Shape, parameters);
            fraction = CoverageCounter.Count(network, Preference.OutputAbove(0.5, 0.5)).Fraction;
            if (fraction is > 0.1 and < 0.9)
            {
                return network;
            }
        }
    }

    private string SavedModel(params Preference[] preferences)
    {
        string path = Path.Combine(_folder, "model.json");
        ModelFile.Save(path, MixedNetwork(out _), preferences);
        return path;
    }

    [Fact]
    public void Certify_certifies_every_preference_and_exits_2_if_any_is_not_met()
    {
        MixedNetwork(out double fraction);
        Preference met = Preference.OutputAbove(0.5, Math.Round(fraction - 0.04, 2));
        Preference notMet = Preference.OutputAbove(0.5, Math.Round(fraction + 0.04, 2));

        // Not met first, met last: the last one alone used to decide the exit code and the certificate.
        foreach ((Preference[] preferences, int exit) in new (Preference[], int)[] { ([notMet, met], 2), ([met, notMet], 2), ([met, met], 0) })
        {
            string model = SavedModel(preferences);
            foreach (string old in Directory.EnumerateFiles(_folder, "*certificate*"))
            {
                File.Delete(old);
            }

            Assert.Equal(exit, GenBiasTool.Run(["certify", model]));
            ReferenceNetwork network = MixedNetwork(out _);
            for (int k = 0; k < preferences.Length; k++)
            {
                string path = CertifyCommand.CertificatePath(model, k);
                Certificate certificate = Certificate.LoadFor(path, network);
                Assert.Equal(preferences[k].ToString(), certificate.Preference);
                Assert.Equal(preferences[k].IsMetBy(certificate.Fraction), certificate.Met);
            }
        }

        // The first certificate is the one beside the model that Certificate.LoadFor has always read; the second is numbered.
        Assert.Equal(Certificate.PathBeside(Path.Combine(_folder, "model.json")), CertifyCommand.CertificatePath(Path.Combine(_folder, "model.json"), 0));
        Assert.Equal(Path.Combine(_folder, "model.certificate.2.json"), CertifyCommand.CertificatePath(Path.Combine(_folder, "model.json"), 1));
    }

    [Fact]
    public void Unknown_options_are_errors_that_name_the_closest_known_option()
    {
        string model = SavedModel(Preference.OutputAbove(0.5, 0.01));
        string? certify = OptionCheck.FirstUnknown("certify", typeof(CertifyCommand.Settings), [model, "--prefr", "output > 0.5 at-least 0.9"]);
        Assert.Equal($"certify: unknown option '--prefr'; did you mean '--prefer'? (certify takes --prefer, --budget, --checkpoint and --help.)", certify);
        string? train = OptionCheck.FirstUnknown("train", typeof(TrainCommand.Settings), ["d.csv", "--layers", "1:tanh", "--epocs", "100"]);
        Assert.Contains("unknown option '--epocs'; did you mean '--epochs'?", train);

        // Misspelt, the option used to be dropped: certify ran the model's own preference and exited 0.
        Assert.Equal(1, GenBiasTool.Run(["certify", model, "--prefr", "output > 0.5 at-least 0.99"]));
        Assert.False(File.Exists(Certificate.PathBeside(model)));

        // Every command refuses what it does not declare, long or short.
        foreach (string[] args in new[]
        {
            new[] { "train", "d.csv", "--layers", "1:tanh", "--out", "m.json", "--bogus" },
            ["certify", model, "-x"], ["calibrate", model, "--output", "c.json"], ["export", model, "--onnx", "m.onnx", "--opset", "9"],
            ["generate", model, "--clas", "X"], ["info", model, "--verbose"],
        })
        {
            Assert.NotNull(OptionCheck.FirstUnknown(args[0], CommandSettings(args[0]), args[1..]));
            Assert.Equal(1, GenBiasTool.Run(args));
        }

        // Values that begin with '-' are values, and an option at the end without its value is refused.
        Assert.Null(OptionCheck.FirstUnknown("train", typeof(TrainCommand.Settings), ["d.csv", "--threshold", "-0.2", "--label-column", "-1", "--prefer=output > 0 at-least 0.5"]));
        Assert.Equal("certify: option '--prefer' needs a value.", OptionCheck.FirstUnknown("certify", typeof(CertifyCommand.Settings), [model, "--prefer"]));
        Assert.Equal("certify: option '--prefer' needs a value.", OptionCheck.FirstUnknown("certify", typeof(CertifyCommand.Settings), [model, "--prefer", "--budget", "3"]));
        Assert.Equal(1, OptionCheck.Distance("--prefr", "--prefer"));
    }

    [Fact]
    public void Misspelt_options_are_always_refused_and_the_suggestion_is_one_edit_away()
    {
        // Seeded: every long option of every command, with one character deleted, inserted, replaced or two swapped.
        var random = new Random(27);
        const string letters = "abcdefghijklmnopqrstuvwxyz-";
        foreach (string command in new[] { "train", "certify", "calibrate", "export", "generate", "info" })
        {
            Type settings = CommandSettings(command);
            string[] known = [.. settings.GetProperties()
                .SelectMany(p => p.GetCustomAttributes(typeof(Spectre.Console.Cli.CommandOptionAttribute), false).Cast<Spectre.Console.Cli.CommandOptionAttribute>())
                .SelectMany(o => o.LongNames.Select(n => "--" + n)), "--help"];
            foreach (string option in known)
            {
                for (int trial = 0; trial < 25; trial++)
                {
                    char[] name = option[2..].ToCharArray();
                    int at = random.Next(name.Length);
                    string typo = "--" + (random.Next(4) switch
                    {
                        0 when name.Length > 1 => new string([.. name[..at], .. name[(at + 1)..]]),
                        1 => new string([.. name[..at], letters[random.Next(letters.Length)], .. name[at..]]),
                        2 => new string([.. name[..at], letters[random.Next(letters.Length)], .. name[(at + 1)..]]),
                        _ when at + 1 < name.Length => new string([.. name[..at], name[at + 1], name[at], .. name[(at + 2)..]]),
                        _ => new string(name) + "x",
                    });
                    if (known.Contains(typo) || typo is "--h" or "--" || typo.StartsWith("---", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    string? error = OptionCheck.FirstUnknown(command, settings, ["x", typo, "1"]);
                    Assert.NotNull(error);
                    Assert.StartsWith($"{command}: unknown option '{typo}'; did you mean '", error);
                    string suggested = error[(error.IndexOf("did you mean '", StringComparison.Ordinal) + 14)..].Split('\'')[0];
                    Assert.Contains(suggested, known);
                    Assert.True(OptionCheck.Distance(suggested, typo) <= 2, $"{typo} → {suggested}");
                }
            }
        }
    }

    private static Type CommandSettings(string command) => command switch
    {
        "train" => typeof(TrainCommand.Settings),
        "certify" => typeof(CertifyCommand.Settings),
        "calibrate" => typeof(CalibrateCommand.Settings),
        "export" => typeof(ExportCommand.Settings),
        "generate" => typeof(GenerateCommand.Settings),
        _ => typeof(ModelSettings),
    };

    [Theory]
    [InlineData("layer 0.7 > 0 at-least 0.5", "the layer '0.7' is not a whole number")]
    [InlineData("layer NaN > 0 at-least 0.5", "the layer 'NaN' is not a whole number")]
    [InlineData("layer -1 > 0 at-least 0.5", "the layer '-1' is not a whole number")]
    [InlineData("layer 0 neuron 1.5 > 0 at-least 0.5", "the neuron '1.5' is not a whole number")]
    [InlineData("output > NaN at-least 0.5", "the threshold 'NaN' is not a finite number")]
    [InlineData("output > 0.5 at-least Infinity", "the fraction 'Infinity' is not a finite number")]
    public void Preference_text_refuses_layers_that_are_not_whole_numbers(string text, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => PreferenceText.Parse(text));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Certify_refuses_a_negative_budget_and_names_a_directory()
    {
        string model = SavedModel(Preference.OutputAbove(0.5, 0.01));
        Assert.Contains("--budget must be 0 or more", new CertifyCommand.Settings { Model = model, Budget = -5 }.Validate().Message);
        Assert.Equal(1, GenBiasTool.Run(["certify", model, "--budget", "-5"]));
        Assert.False(File.Exists(Certificate.PathBeside(model)));

        Assert.Equal(1, GenBiasTool.Run(["certify", _folder]));
        Assert.Contains("is a directory, not a model file", Assert.Throws<ArgumentException>(() => GenBiasTool.Load(_folder)).Message);
    }

    [Theory]
    [InlineData("Foo; class X", null, "is not a C# identifier: ';' (character 4)")]
    [InlineData("class", null, "is a C# keyword; write @class")]
    [InlineData("record", null, "is a C# keyword; write @record")]
    [InlineData("1st", null, "'1' (character 1) cannot begin a name")]
    [InlineData("Trained", "a b", "the part \"a b\" is not a C# identifier")]
    [InlineData("Trained", "App..Models", "an empty part between dots")]
    [InlineData("Trained", "App.namespace", "the part \"namespace\" is a C# keyword; write @namespace")]
    public void Generate_refuses_names_that_are_not_CSharp(string name, string? ns, string message)
    {
        var error = Assert.Throws<ArgumentException>(() =>
        {
            CSharpNames.ClassName(name);
            if (ns != null)
            {
                CSharpNames.Namespace(ns);
            }
        });
        Assert.Contains(message, error.Message);

        string model = SavedModel();
        Assert.Equal(1, GenBiasTool.Run(ns is null ? ["generate", model, "--class", name] : ["generate", model, "--class", name, "--namespace", ns]));
    }

    [Fact]
    public void Generate_accepts_verbatim_keywords_and_dotted_namespaces()
    {
        Assert.Equal("@class", CSharpNames.ClassName("@class"));
        Assert.Equal("Trained_2", CSharpNames.ClassName("Trained_2"));
        Assert.Equal("Réseau", CSharpNames.ClassName("Réseau"));
        Assert.Equal("App.@namespace.Models", CSharpNames.Namespace("App.@namespace.Models"));
        Assert.Equal(0, GenBiasTool.Run(["generate", SavedModel(), "--class", "@event", "--namespace", "App.Models"]));
    }

    [Fact]
    public void Outputs_in_a_missing_folder_are_refused_and_the_folder_is_not_created()
    {
        string model = SavedModel(Preference.OutputAbove(0.5, 0.01));
        string missing = Path.Combine(_folder, "missing-dir");
        Assert.Equal(1, GenBiasTool.Run(["export", model, "--onnx", Path.Combine(missing, "x.onnx")]));
        Assert.Equal(1, GenBiasTool.Run(["calibrate", model, "--out", Path.Combine(missing, "c.json")]));
        Assert.False(Directory.Exists(missing));
        Assert.Contains("the folder", Assert.Throws<ArgumentException>(() => GenBiasTool.CheckOutput(Path.Combine(missing, "x.onnx"), "--onnx")).Message);
        Assert.Contains("does not exist; create it first", Assert.Throws<ArgumentException>(() => GenBiasTool.CheckOutput(Path.Combine(missing, "x.onnx"), "--onnx")).Message);
        Assert.Contains("is a directory; give a file name", Assert.Throws<ArgumentException>(() => GenBiasTool.CheckOutput(_folder, "--out")).Message);

        // An existing folder is fine.
        Assert.Equal(0, GenBiasTool.Run(["export", model, "--onnx", Path.Combine(_folder, "x.onnx")]));
        Assert.True(File.Exists(Path.Combine(_folder, "x.onnx")));
    }

    [Fact]
    public void Train_with_a_positive_label_that_no_row_has_is_refused()
    {
        string data = Path.Combine(_folder, "data.csv");
        File.WriteAllLines(data, ["a,b,label", "1,0,yes", "0,1,no", "-1,1,yes", "1,1,no"]);
        string model = Path.Combine(_folder, "m.json");
        Assert.Equal(1, GenBiasTool.Run(["train", data, "--header", "--positive", "Yes", "--layers", "1:tanh", "--epochs", "1", "--out", model]));
        Assert.False(File.Exists(model));
    }
}
