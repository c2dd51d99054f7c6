using System;
using System.IO;
using System.Linq;
using GenBias.Tool;
using Spectre.Console;
using Xunit;

namespace GenBias.Tests;

/// <summary>What a new user meets in the genbias command: budgets, progress, exit codes, messages and files.</summary>
public sealed class ToolFirstHourTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("genbias-first-hour").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Data(int inputs, string name = "data.csv", Func<int[], string>? label = null, string separator = ",", Func<int, string>? token = null)
    {
        var random = new Random(inputs);
        string path = Path.Combine(_folder, name);
        using var writer = new StreamWriter(path);
        for (int r = 0; r < 300; r++)
        {
            int[] x = [.. Enumerable.Range(0, inputs).Select(_ => random.Next(-1, 2))];
            writer.WriteLine($"{string.Join(separator, x.Select(v => token?.Invoke(v) ?? v.ToString(System.Globalization.CultureInfo.InvariantCulture)))}{separator}{label?.Invoke(x) ?? (x.Take(3).Sum() >= 1 ? "1" : "0")}");
        }

        return path;
    }

    private (int Code, string Output) Run(params string[] args)
    {
        var text = new StringWriter();
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(text), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 100;
        int code = GenBiasTool.Run(args, console);
        return (code, text.ToString());
    }

    private string Model(int inputs, string layers = "6:tanh,1:tanh", string prefer = "output > 0.5 at-least 0.3")
    {
        string model = Path.Combine(_folder, $"m{inputs}.json");
        Assert.Equal(0, Run("train", Data(inputs), "--layers", layers, "--prefer", prefer, "--epochs", "3", "--out", model).Code);
        return model;
    }

    [Fact]
    public void CalibrateBudget_BeyondIt_EstimatesLabelled_AndSavesTheGivenPreference()
    {
        string model = Model(12);
        string calibrated = Path.Combine(_folder, "c.json");
        (int code, string output) = Run("calibrate", model, "--prefer", "output > 0.5 at-least 0.8", "--budget", "0", "--out", calibrated);
        Assert.Equal(0, code);
        Assert.Contains("ESTIMATE (not exact)", output);
        Assert.Contains("beyond the budget of 0 s", output);
        LoadedModel saved = ModelFile.Load(calibrated);
        Assert.Equal(Preference.OutputAbove(0.5, 0.8), saved.Preferences.Single());
        double exact = CoverageCounter.Count(new ReferenceNetwork(saved.Shape, saved.Parameters), Preference.OutputAbove(0.5, 0.8)).Fraction;
        Assert.InRange(exact, 0.79, 0.83);
    }

    [Fact]
    public void CalibrateBudget_WithinIt_IsExact_ShowsProgress_AndSavesTheGivenPreference()
    {
        string model = Model(12);
        string calibrated = Path.Combine(_folder, "c.json");
        (int code, string output) = Run("calibrate", model, "--prefer", "output > 0.5 at-least 0.75", "--out", calibrated);
        Assert.Equal(0, code);
        Assert.Contains("calibrating exactly", output);
        Assert.Contains("EXACT: output bias shifted by", output);
        LoadedModel saved = ModelFile.Load(calibrated);
        Assert.Equal(Preference.OutputAbove(0.5, 0.75), saved.Preferences.Single());
        Assert.True(CoverageCounter.Count(new ReferenceNetwork(saved.Shape, saved.Parameters), Preference.OutputAbove(0.5, 0.75)).Fraction >= 0.75);
    }

    [Fact]
    public void SampledCalibration_MeetsTheTargetOnItsSample_AndCloseToItOnTheCube()
    {
        NetworkShape shape = NetworkShape.Create(12, (8, Activation.Tanh), (1, Activation.Tanh));
        var random = new DeterministicRandom(3);
        float[] parameters = [.. Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)((random.NextDouble() * 2) - 1) * 0.5f)];
        FixedPointGrid.SnapFirstLayer(shape, parameters);
        var network = new ReferenceNetwork(shape, parameters);
        Preference preference = Preference.OutputAbove(0.5, 0.7) with { Method = EnforcementMethod.Calibration };
        SampledCalibrationResult result = SampledCalibration.Calibrate(network, preference, 100_000, 0.999, seed: 4);
        Assert.True(result.Rate.Lower >= 0.7, result.ToString());
        // The sample's hits at the new bias are Forward's: a fresh estimate over the same seed agrees exactly.
        Assert.Equal(result.Rate.Successes, RateEstimator.Estimate(network, preference, 100_000, 0.999, seed: 4).Successes);
        Assert.InRange(CoverageCounter.Count(network, preference).Fraction, 0.69, 0.72);
    }

    [Fact]
    public void ExitCode_TwoWhenTrainingMissesAPreference_AndTheHelpSaysSo()
    {
        string model = Path.Combine(_folder, "m.json");
        (int code, string output) = Run("train", Data(8), "--layers", "4:tanh,1:tanh", "--prefer", "output > 0.5 at-least 0.9",
            "--prefer", "output < 0 at-least 0.9", "--epochs", "2", "--out", model);
        Assert.Equal(GenBiasTool.NotMet, code);
        Assert.Contains("NOT met", output);
        Assert.True(File.Exists(model));
        foreach (string command in new[] { "train", "certify", "calibrate", "export", "generate", "info" })
        {
            Assert.Contains("2: a preference not met", Run(command, "--help").Output.ReplaceLineEndings(" ").Replace("  ", " ", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Help_ExampleIsShellQuoted_AndVersionIsPrinted()
    {
        string help = System.Text.RegularExpressions.Regex.Replace(Run("train", "--help").Output, @"\s+", " ");
        Assert.Contains("--prefer \"output > 0.5 at-least 0.6\"", help);
        (int code, string version) = Run("--version");
        Assert.Equal(0, code);
        Assert.Matches(@"\d+\.\d+\.\d+", version);
    }

    [Fact]
    public void TrainOut_ReadOnlyFileRefusedBeforeTraining_AndSaveErrorsNameTheUsersFile()
    {
        string model = Path.Combine(_folder, "locked.json");
        File.WriteAllText(model, "{}");
        File.SetAttributes(model, FileAttributes.ReadOnly);
        string before = File.ReadAllText(model);
        Assert.Equal(1, Run("train", Data(6), "--layers", "2:tanh,1:tanh", "--out", model).Code);
        Assert.Equal(before, File.ReadAllText(model));
        File.SetAttributes(model, FileAttributes.Normal);

        var error = Assert.Throws<IOException>(() => GenBiasTool.Save(model, _ => throw new UnauthorizedAccessException($"Access to the path '{model}.123.tmp' is denied.")));
        Assert.StartsWith($"cannot write {model}:", error.Message);
        Assert.DoesNotContain(".tmp", error.Message);
    }

    [Fact]
    public void CertifyPrefer_NotDeclared_SavedBesideWithoutOverwritingTheModelsCertificate_AndCheckpointRemoved()
    {
        string model = Model(9);
        Assert.Equal(0, Run("certify", model).Code is 0 or 2 ? 0 : 1);
        string own = Certificate.PathBeside(model);
        string ownText = File.ReadAllText(own);
        (int code, _) = Run("certify", model, "--prefer", "output < 0 at-most 0.99", "--checkpoint");
        Assert.True(code is 0 or 2);
        Assert.Equal(ownText, File.ReadAllText(own));
        Assert.Contains("output < 0", File.ReadAllText(CertifyCommand.GivenCertificatePath(model)));
        Assert.Empty(Directory.GetFiles(_folder, "*checkpoint*"));
    }

    [Fact]
    public void Tokens_MapWordsToInputs_AndSeparatorIsOneCharacter()
    {
        string data = Data(6, "votes.csv", x => x[0] > 0 ? "democrat" : "republican", ";", v => v switch { 1 => "y", -1 => "n", _ => "?" });
        string model = Path.Combine(_folder, "votes.json");
        (int code, string output) = Run("train", data, "--tokens", "y=1,n=-1,?=0", "--separator", ";", "--positive", "democrat",
            "--layers", "1:tanh", "--epochs", "3", "--out", model);
        Assert.True(code == 0, output);
        Assert.Equal(6, ModelFile.Load(model).Shape.InputCount);
        Assert.Equal(1, Run("train", data, "--tokens", "y=2", "--separator", ";", "--layers", "1:tanh", "--out", model).Code);
        Assert.Equal(1, Run("train", data, "--tokens", "y=1", "--separator", ";;", "--layers", "1:tanh", "--out", model).Code);
    }

    [Fact]
    public void InfoEpochs_SayTheyCountEveryPhase_AndTrainingShowsWhatRan()
    {
        string model = Path.Combine(_folder, "m.json");
        (int code, string output) = Run("train", Data(8), "--layers", "4:tanh,1:tanh", "--prefer", "output > 0.5 at-least 0.3", "--epochs", "4", "--out", model);
        Assert.True(code is 0 or 2, output);
        int ran = ModelFile.Load(model).Training!.Epochs;
        Assert.Contains($"epochs run", output);
        Assert.Contains($"{ran} (model from epoch", output.ReplaceLineEndings(" "));
        Assert.Contains("epochs run in all", Run("info", model).Output.ReplaceLineEndings(" ").Replace("  ", " ", StringComparison.Ordinal).Replace("│", "", StringComparison.Ordinal));
    }

    [Fact]
    public void Messages_SpeakTheCommandLinesOptions_NotTheLibrarysProperties()
    {
        // The reader's own messages, as train receives them, then as train shows them.
        string header = Path.Combine(_folder, "header.csv");
        File.WriteAllLines(header, ["a,b,c,label", "1,0,-1,1", "0,1,1,0"]);
        string semicolons = Path.Combine(_folder, "semicolons.csv");
        File.WriteAllLines(semicolons, ["1;0;-1;1", "0;1;1;0"]);
        string words = Path.Combine(_folder, "words.csv");
        File.WriteAllLines(words, ["1,0,yes", "0,1,no", "1,1,maybe"]);
        string Shown(string path, TextDataOptions options)
        {
            var e = Assert.Throws<InvalidDataException>(() => TernaryDataset.FromCsv(path, options));
            return DataMessages.ForCommandLine(e.Message, path, options.Separator);
        }

        Assert.EndsWith("looks like a header ('label'): give --header.", Shown(header, new TextDataOptions()));
        Assert.EndsWith("Its first line holds no ',' but ';': give --separator ';'.", Shown(semicolons, new TextDataOptions()));
        Assert.EndsWith("--label-column counts from 0 (the first column); -1, the default, is the last.", Shown(header, new TextDataOptions { HasHeader = true, LabelColumn = 7 }));
        Assert.Contains("the positive label 'Yes' (--positive) occurs in no row", Shown(words, new TextDataOptions { PositiveLabel = "Yes" }));
        Assert.EndsWith("give --negative to refuse it, or --rest-negative to train one class against the rest.", Shown(words, new TextDataOptions { PositiveLabel = "yes" }));
        foreach (string text in new[] { Shown(header, new TextDataOptions()), Shown(words, new TextDataOptions { PositiveLabel = "yes" }), Shown(words, new TextDataOptions { PositiveLabel = "Yes" }) })
        {
            Assert.DoesNotMatch("HasHeader|PositiveLabel|NegativeLabel|OtherLabelsNegative", text);
        }

        // A preference the network cannot have: refused before training starts, without "(Parameter 'Target')".
        var invalid = Assert.Throws<ArgumentException>(() => PreferenceText.Parse("output > 0.5 at-least 1.5").Validate(NetworkShape.Create(3, (1, Activation.Tanh))));
        Assert.EndsWith("the target fraction 1.5 is outside [0, 1].", GenBiasTool.MessageOf(invalid));
        (int code, string output) = Run("train", Data(6), "--layers", "1:tanh", "--prefer", "output > 0.5 at-least 1.5", "--out", Path.Combine(_folder, "never.json"));
        Assert.Equal(1, code);
        Assert.DoesNotContain("training", output);
    }
}
