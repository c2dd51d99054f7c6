using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenBias.Tool;

internal sealed class TrainCommand : Command<TrainCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<data.csv>")]
        [Description("Rows of -1/0/1 inputs and a label (the last column unless --label-column).")]
        public string Data { get; init; } = "";

        [CommandOption("--layers <LAYERS>")]
        [Description("Layers as width:activation, comma-separated, the last being the output (for example 16:tanh,1:tanh).")]
        public string Layers { get; init; } = "";

        [CommandOption("--prefer <PREFERENCE>")]
        [Description("A preference, for example \"output > 0.5 at-least 0.6\" or \"layer 0 all < 0 at-most 0.5\"; repeatable.")]
        public string[] Prefer { get; init; } = [];

        [CommandOption("--out <MODEL>")]
        [Description("Where to save the model (JSON).")]
        public string Out { get; init; } = "";

        [CommandOption("--epochs <N>")]
        [Description("Epochs of training. With one output preference the trainer first trains without it (a free baseline), then with it, up to this many epochs each, and keeps the better model that meets it.")]
        [DefaultValue(40)]
        public int Epochs { get; init; } = 40;

        [CommandOption("--seed <N>")]
        [Description("The seed of the initial weights, the shuffling and the samples: the same seed gives the same model, bit for bit.")]
        [DefaultValue(1)]
        public int Seed { get; init; } = 1;

        [CommandOption("--threshold <VALUE>")]
        [Description("The output above which a row counts as positive (default 0.5, the threshold of the 25-input majority problem).")]
        [DefaultValue(0.5)]
        public double Threshold { get; init; } = 0.5;

        [CommandOption("--header")]
        [Description("The first line that is not blank is a header.")]
        public bool Header { get; init; }

        [CommandOption("--label-column <N>")]
        [Description("The column of the label, from 0; negative counts from the end (-1, the default, is the last column).")]
        [DefaultValue(-1)]
        public int LabelColumn { get; init; } = -1;

        [CommandOption("--positive <LABEL>")]
        [Description("The label of the positive class (otherwise labels are 0/1 or exactly two names).")]
        public string? Positive { get; init; }

        [CommandOption("--tokens <MAP>")]
        [Description("Input tokens as values, for example \"y=1,n=-1,?=0\" (data whose inputs are words, like the vote data's y/n/?).")]
        public string? Tokens { get; init; }

        [CommandOption("--separator <CHAR>")]
        [Description("The column separator, one character (default ','; write \"\\t\" or tab for tabs).")]
        public string? Separator { get; init; }

        [CommandOption("--negative <LABEL>")]
        [Description("The label of the negative class; with --positive, rows with any other label are refused unless --rest-negative.")]
        public string? Negative { get; init; }

        [CommandOption("--rest-negative")]
        [Description("Every label other than --positive is negative (one class against the rest).")]
        public bool RestNegative { get; init; }

        public override ValidationResult Validate() =>
            Layers.Length == 0 ? ValidationResult.Error("--layers is required, for example --layers 16:tanh,1:tanh")
            : Out.Length == 0 ? ValidationResult.Error("--out is required: where to save the model")
            : Epochs < 1 ? ValidationResult.Error("--epochs must be at least 1")
            : Seed < 0 ? ValidationResult.Error("--seed must be 0 or more")
            : !double.IsFinite(Threshold) ? ValidationResult.Error("--threshold must be a finite number")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        GenBiasTool.CheckOutput(settings.Out, "--out");
        char separator = settings.Separator is { } text ? ParseSeparator(text) : ',';
        TernaryDataset data;
        try
        {
            data = TernaryDataset.FromCsv(settings.Data, new TextDataOptions
            {
                HasHeader = settings.Header, LabelColumn = settings.LabelColumn, PositiveLabel = settings.Positive,
                NegativeLabel = settings.Negative, OtherLabelsNegative = settings.RestNegative,
                InputTokens = settings.Tokens is { } tokens ? ParseTokens(tokens) : null,
                Separator = separator,
            });
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException(DataMessages.ForCommandLine(e.Message, settings.Data, separator), e);
        }

        NetworkShape shape = NetworkShape.Create(data.InputCount, [.. settings.Layers.Split(',').Select(ParseLayer)]);
        Preference[] preferences = [.. settings.Prefer.Select(PreferenceText.Parse)];
        foreach (Preference preference in preferences)
        {
            // Before any work: a preference the network cannot have is refused now, not after the progress bar appears.
            preference.Validate(shape);
        }

        var network = new ReferenceNetwork(shape);
        var options = new TrainerOptions
        {
            Epochs = settings.Epochs, Seed = (ulong)settings.Seed, Preferences = preferences, DecisionThreshold = (float)settings.Threshold,
        };
        TrainingReport report = null!;
        IAnsiConsole ui = GenBiasTool.Ui;
        GenBiasTool.WithProgress($"training {shape}", task =>
        {
            // The bar's maximum is the trainer's own plan (twice --epochs with a free baseline first), read from its reports.
            var epochs = new EpochReporter(task);
            report = PreferenceTrainer.Train(network, data, options, epochs, cancellationToken);
        }, maxValue: settings.Epochs);
        GenBiasTool.Save(settings.Out, path => ModelFile.Save(path, network, preferences, report.ToDocument(options)));
        var table = new Table().AddColumns("", "value");
        table.AddRow("epochs run", Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"{report.Epochs.Count} (model from epoch {report.SelectedEpoch}{(report.Candidates > 1 ? $": {report.Selection}, best of {report.Candidates}" : "")})")));
        table.AddRow("train accuracy", report.TrainAccuracy.ToString("P1", CultureInfo.InvariantCulture));
        table.AddRow("validation accuracy", double.IsNaN(report.ValidationAccuracy) ? "—" : report.ValidationAccuracy.ToString("P1", CultureInfo.InvariantCulture));
        foreach (PreferenceResult result in report.Preferences)
        {
            table.AddRow(Markup.Escape(result.Preference.ToString()), Markup.Escape($"{result.Rate}{(result.Met ? "; met" : "; NOT met")}"));
        }

        ui.Write(table);
        ui.MarkupLine($"saved [bold]{Markup.Escape(settings.Out)}[/]");
        if (!report.AllMet)
        {
            ui.WriteLine($"NOT met: {string.Join("; ", report.Preferences.Where(p => !p.Met).Select(p => p.Preference))} (exit code {GenBiasTool.NotMet}).");
            return GenBiasTool.NotMet;
        }

        return GenBiasTool.Success;
    }

    /// <summary>Moves the training bar to each epoch the trainer reports, with the trainer's own total.</summary>
    private sealed class EpochReporter(ProgressTask task) : IProgress<EpochReport>
    {
        public void Report(EpochReport value)
        {
            task.MaxValue = Math.Max(1, value.Epochs);
            task.Value = value.Epoch;
        }
    }

    /// <summary>"y=1,n=-1,?=0": each token and its value, -1, 0 or 1.</summary>
    internal static Dictionary<string, sbyte> ParseTokens(string text)
    {
        var map = new Dictionary<string, sbyte>(StringComparer.Ordinal);
        foreach (string pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int at = pair.LastIndexOf('=');
            string token = at > 0 ? pair[..at] : "";
            if (at <= 0 || !sbyte.TryParse(pair[(at + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out sbyte value) || value is < -1 or > 1)
            {
                throw new ArgumentException($"--tokens \"{text}\": '{pair}' is not token=value with a value of -1, 0 or 1 (write for example \"y=1,n=-1,?=0\").");
            }

            if (!map.TryAdd(token, value))
            {
                throw new ArgumentException($"--tokens \"{text}\": '{token}' is given twice.");
            }
        }

        return map.Count > 0 ? map : throw new ArgumentException("--tokens needs at least one token=value, for example \"y=1,n=-1,?=0\".");
    }

    /// <summary>One character, or "\t" / "tab" for a tab.</summary>
    internal static char ParseSeparator(string text) => text switch
    {
        "\\t" or "tab" => '\t',
        { Length: 1 } when text[0] is not ('-' or '0' or '1') => text[0],
        _ => throw new ArgumentException($"--separator '{text}' is not one character other than -, 0 and 1 (for example ';', or \"\\t\" for a tab)."),
    };

    private static (int Width, Activation Activation) ParseLayer(string text)
    {
        string[] parts = text.Trim().Split(':');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int width))
        {
            throw new ArgumentException($"layer '{text}' is not width:activation (for example 16:tanh).");
        }

        string? name = Enum.GetNames<Activation>().FirstOrDefault(n => string.Equals(n, parts[1], StringComparison.OrdinalIgnoreCase));
        return name is null
            ? throw new ArgumentException($"layer '{text}': '{parts[1]}' is not one of {string.Join(", ", Enum.GetNames<Activation>())}.")
            : (width, Enum.Parse<Activation>(name));
    }
}

internal sealed class ModelSettings : CommandSettings
{
    [CommandArgument(0, "<model.json>")]
    public string Model { get; init; } = "";
}

internal sealed class CertifyCommand : Command<CertifyCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<model.json>")]
        public string Model { get; init; } = "";

        [CommandOption("--prefer <PREFERENCE>")]
        [Description("Certify this preference instead of the model's own (which are all certified otherwise). One the model does not declare is saved in model.certificate.prefer.json, never over the model's certificate.")]
        public string? Prefer { get; init; }

        [CommandOption("--budget <SECONDS>")]
        [Description("Count exactly if the projected time fits; otherwise estimate (labelled so). Per preference; 0 or more.")]
        [DefaultValue(60)]
        public int Budget { get; init; } = 60;

        [CommandOption("--checkpoint")]
        [Description("Keep a resumable checkpoint beside the model while counting (one per preference).")]
        public bool Checkpoint { get; init; }

        public override ValidationResult Validate() =>
            Budget < 0 ? ValidationResult.Error($"--budget must be 0 or more seconds, not {Budget}")
            : Prefer is { Length: 0 } ? ValidationResult.Error("--prefer needs a preference, for example \"output > 0.5 at-least 0.6\"")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        (ReferenceNetwork network, LoadedModel model) = GenBiasTool.Load(settings.Model);
        IAnsiConsole ui = GenBiasTool.Ui;
        Preference[] preferences = settings.Prefer is { } text ? [PreferenceText.Parse(text)] : [.. model.Preferences];
        if (preferences.Length == 0)
        {
            throw new ArgumentException($"{settings.Model} declares no preference; give one with --prefer \"output > 0.5 at-least 0.6\".");
        }

        // Every preference is certified on its own and gets its own certificate (and checkpoint): the first in
        // model.certificate.json, the k-th (k ≥ 2) in model.certificate.k.json. Exit 2 if any is not met.
        var notMet = new List<Preference>();
        for (int k = 0; k < preferences.Length; k++)
        {
            string? checkpoint = settings.Checkpoint ? Numbered(settings.Model + ".count-checkpoint.json", k) : null;
            var options = new CertifyOptions
            {
                ExactTimeBudget = TimeSpan.FromSeconds(settings.Budget),
                Count = new CountOptions { CheckpointPath = checkpoint },
            };
            Certificate certificate = null!;
            GenBiasTool.WithProgress($"certifying {preferences[k]}", task =>
                certificate = Certifier.Certify(network, preferences[k], options, GenBiasTool.CountReporter(task), cancellationToken));

            // A finished count needs no checkpoint: the certificate holds the result.
            if (checkpoint is not null && File.Exists(checkpoint))
            {
                File.Delete(checkpoint);
            }

            // A preference the model does not declare gets a certificate of its own, never the one of the model's preference.
            int declared = settings.Prefer is null ? k : model.Preferences.ToList().IndexOf(preferences[k]);
            string path = declared >= 0 ? CertificatePath(settings.Model, declared) : GivenCertificatePath(settings.Model);
            GenBiasTool.Save(path, certificate.Save);
            if (!certificate.Met)
            {
                notMet.Add(preferences[k]);
            }

            ui.WriteLine(certificate.ToString());
            ui.WriteLine($"  saved {path}");
        }

        ui.WriteLine(notMet.Count == 0
            ? $"{preferences.Length} of {preferences.Length} preference{(preferences.Length == 1 ? "" : "s")} met."
            : $"{preferences.Length - notMet.Count} of {preferences.Length} met; NOT met: {string.Join("; ", notMet)}.");
        return notMet.Count == 0 ? GenBiasTool.Success : GenBiasTool.NotMet;
    }

    /// <summary>Where the certificate of a preference given with --prefer, which the model does not declare, is saved.</summary>
    internal static string GivenCertificatePath(string model) => Path.ChangeExtension(Certificate.PathBeside(model), ".prefer.json");

    /// <summary>Where the certificate of the model's <paramref name="index"/>-th preference (from 0) is saved.</summary>
    internal static string CertificatePath(string model, int index) => Numbered(Certificate.PathBeside(model), index);

    /// <summary>file.json for index 0, file.2.json for index 1, and so on.</summary>
    private static string Numbered(string path, int index) =>
        index == 0 ? path : Path.ChangeExtension(path, $"{index + 1}{Path.GetExtension(path)}");
}

internal sealed class CalibrateCommand : Command<CalibrateCommand.Settings>
{
    /// <summary>Samples of the estimate when an exact calibration is beyond the budget.</summary>
    internal const int EstimateSamples = 1_000_000;

    /// <summary>The confidence of the estimate's interval.</summary>
    internal const double EstimateConfidence = 0.999;

    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<model.json>")]
        public string Model { get; init; } = "";

        [CommandOption("--prefer <PREFERENCE>")]
        [Description("The output preference to meet, for example \"output > 0.5 at-least 0.7\" (default: the model's first). " +
                     "It replaces the model's preferences on the output in the saved model.")]
        public string? Prefer { get; init; }

        [CommandOption("--out <MODEL>")]
        [Description("Where to save the calibrated model (default: over the input).")]
        public string? Out { get; init; }

        [CommandOption("--budget <SECONDS>")]
        [Description("Calibrate exactly if the projected time fits; otherwise from 1,000,000 samples, the whole 99.9% interval meeting the target (labelled an estimate). 0 or more.")]
        [DefaultValue(60)]
        public int Budget { get; init; } = 60;

        public override ValidationResult Validate() =>
            Budget < 0 ? ValidationResult.Error($"--budget must be 0 or more seconds, not {Budget}")
            : Prefer is { Length: 0 } ? ValidationResult.Error("--prefer needs a preference, for example \"output > 0.5 at-least 0.7\"")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string destination = settings.Out ?? settings.Model;
        GenBiasTool.CheckOutput(destination, "--out");
        (ReferenceNetwork network, LoadedModel model) = GenBiasTool.Load(settings.Model);
        Preference preference = settings.Prefer is { } text ? PreferenceText.Parse(text)
            : model.Preferences.FirstOrDefault() ?? throw new ArgumentException($"{settings.Model} declares no preference; give one with --prefer \"output > 0.5 at-least 0.7\".");
        IAnsiConsole ui = GenBiasTool.Ui;
        double? projected = ExactCalibration.ProjectedSeconds(network, preference);
        string? reason = projected switch
        {
            null => "no exact count is possible for this network and preference (a first layer off the exact grid, more than " +
                    $"{CoverageCounter.MaxInputs} inputs, or a distribution other than the cube)",
            double seconds when seconds > settings.Budget => string.Create(CultureInfo.InvariantCulture,
                $"an exact calibration was projected to take {GenBiasTool.Duration(seconds)}, beyond the budget of {GenBiasTool.Duration(settings.Budget)} (--budget)"),
            _ => null,
        };
        if (reason is null)
        {
            CalibrationResult result = null!;
            GenBiasTool.WithProgress("calibrating exactly (passes over the cube)", task =>
                result = ExactCalibration.Calibrate(network, preference, progress: GenBiasTool.CountReporter(task), cancellationToken: cancellationToken));
            Save(destination, network, model, preference, settings.Prefer is not null);
            ui.WriteLine($"EXACT: output bias shifted by {result.BiasShift.ToString("G6", CultureInfo.InvariantCulture)}: " +
                         $"{result.Count.Count.ToString("N0", CultureInfo.InvariantCulture)} of {result.Count.Total.ToString("N0", CultureInfo.InvariantCulture)} inputs " +
                         $"= {result.Count.Fraction.ToString("P4", CultureInfo.InvariantCulture)} ({preference})");
        }
        else
        {
            SampledCalibrationResult estimate = null!;
            RateInterval fresh = null!;
            GenBiasTool.WithProgress($"calibrating from {EstimateSamples:N0} samples", task =>
            {
                // The sample is evaluated once (nine tenths of the bar); every candidate bias is then a few binary searches.
                estimate = SampledCalibration.Calibrate(network, preference, EstimateSamples, EstimateConfidence, seed: 1,
                    GenBiasTool.FractionReporter(task, 0, 0.9), cancellationToken);
                task.Value = 0.9;
                fresh = RateEstimator.Estimate(network, preference, EstimateSamples / 10, EstimateConfidence, seed: 2);
            });
            Save(destination, network, model, preference, settings.Prefer is not null);
            ui.WriteLine($"ESTIMATE (not exact): output bias shifted by {estimate.BiasShift.ToString("G6", CultureInfo.InvariantCulture)}; " +
                         $"the calibration's sample: {estimate.Rate}; fresh samples: {fresh} ({preference})");
            ui.WriteLine($"  why not exact: {reason}");
        }

        ui.WriteLine($"saved {destination}");
        return GenBiasTool.Success;
    }

    /// <summary>Saves the calibrated model; a preference given on the command line replaces the model's output preferences.</summary>
    private static void Save(string path, ReferenceNetwork network, LoadedModel model, Preference preference, bool given)
    {
        int output = model.Shape.Layers.Length - 1;
        Preference[] preferences = !given && model.Preferences.Count > 0 ? [.. model.Preferences]
            : [.. model.Preferences.Where(p => p.ResolveLayer(model.Shape) != output), preference];
        GenBiasTool.Save(path, p => ModelFile.Save(p, network, preferences, model.Training));
    }
}

internal sealed class ExportCommand : Command<ExportCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<model.json>")]
        public string Model { get; init; } = "";

        [CommandOption("--onnx <FILE>")]
        // Help text is Spectre markup: a literal bracket is written twice.
        [Description("Where to write the ONNX model (opset 17: input x [[N, n]] of -1/0/1 floats, output y [[N, outputs]]).")]
        public string Onnx { get; init; } = "";

        public override ValidationResult Validate() =>
            Onnx.Length == 0 ? ValidationResult.Error("--onnx is required: where to write the ONNX model") : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        GenBiasTool.CheckOutput(settings.Onnx, "--onnx");
        (ReferenceNetwork network, _) = GenBiasTool.Load(settings.Model);
        GenBiasTool.Save(settings.Onnx, path => OnnxExport.Save(path, network));
        GenBiasTool.Ui.WriteLine($"wrote {settings.Onnx} (opset {OnnxExport.Opset}, {network.Shape})");
        return GenBiasTool.Success;
    }
}

internal sealed class GenerateCommand : Command<GenerateCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<model.json>")]
        public string Model { get; init; } = "";

        [CommandOption("--class <NAME>")]
        [Description("The class name: a C# identifier (a keyword needs @, as in @event).")]
        [DefaultValue("TrainedNetwork")]
        public string Class { get; init; } = "TrainedNetwork";

        [CommandOption("--namespace <NAME>")]
        [Description("The namespace: C# identifiers joined by dots (App.Models).")]
        public string? Namespace { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string name = CSharpNames.ClassName(settings.Class);
        string? ns = settings.Namespace is { } given ? CSharpNames.Namespace(given) : null;
        (_, LoadedModel model) = GenBiasTool.Load(settings.Model);
        Console.Out.Write(Declaration(model, name, ns));
        return GenBiasTool.Success;
    }

    /// <summary>The C# declaration of a model's network: attributes for the shape, the parameters loaded from the file.</summary>
    internal static string Declaration(LoadedModel model, string name, string? ns)
    {
        var text = new StringBuilder("// Generated by genbias from a model file: the shape as attributes; load the parameters with\n");
        text.Append("// ModelFile.LoadInto(path, new ").Append(name).Append("()).\nusing GenBias;\n\n");
        if (ns != null)
        {
            text.Append("namespace ").Append(ns).Append(";\n\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"[TernaryNetwork(Inputs = {model.Shape.InputCount})]\n");
        foreach (LayerShape layer in model.Shape.Layers)
        {
            text.Append(CultureInfo.InvariantCulture, $"[Dense({layer.Width}, Activation.{layer.Activation})]\n");
        }

        text.Append("public partial class ").Append(name).Append(";\n");
        return text.ToString();
    }
}

internal sealed class InfoCommand : Command<ModelSettings>
{
    public override int Execute(CommandContext context, ModelSettings settings, CancellationToken cancellationToken)
    {
        (ReferenceNetwork network, LoadedModel model) = GenBiasTool.Load(settings.Model);
        var table = new Table().AddColumns("", "value");
        table.AddRow("shape", Markup.Escape(model.Shape.ToString()));
        table.AddRow("parameters", model.Shape.ParameterCount.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("network hash", CoverageCounter.NetworkHash(network));
        table.AddRow("activation math", model.WrittenUnderOlderMath
            ? Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"version {ActivationMath.Version}; the file was written under version {model.ActivationMathVersion}: the same parameters, each tanh now within {ModelFile.Version1OutputChange:G2} of its value then; certify again (genbias certify) and save to update the file"))
            : $"version {ActivationMath.Version}");
        table.AddRow("first layer on the exact grid", FixedPointGrid.IsFirstLayerOnGrid(model.Shape, model.Parameters) ? "yes (exact counts possible)" : "no");
        foreach (Preference preference in model.Preferences)
        {
            table.AddRow("preference", Markup.Escape(preference.ToString()));
        }

        if (model.Training is { } training)
        {
            table.AddRow("training", Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"seed {training.Seed}; {training.Epochs} epochs run in all (a free baseline run first counts too); model from epoch {training.SelectedEpoch}; train accuracy {training.TrainAccuracy:P1}")));
        }

        GenBiasTool.Ui.Write(table);
        return GenBiasTool.Success;
    }
}
