using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using ClassificationStudy;
using GenBias;

// The study: does a network trained so that most of its input cube gives an output above 0.5 classify as well as
// one trained without that requirement? Writes docs/study/results.md and PNG plots into the repository.
// The options are in Usage below (--help prints them); an unknown option runs nothing.

const string Usage = """
    The study: one tanh neuron and a hidden layer of 16, trained with and without "τ of the cube above 0.5", on four tasks;
    then a fifth, mnist784-0: MNIST at full resolution (784 inputs), 64 hidden, free and with a preference on every hidden
    neuron (certified per neuron over the 3^784 cube) and on the output, 5 folds × 1 seed.
    Writes docs/study/results.md, runs.csv, timings.md and the plots.

      dotnet run --project examples/ClassificationStudy -c Release            the whole study (resumes if stopped)
      ... -- --quick            tic-tac-toe, two τ, two folds
      ... -- --capacity         hidden widths 0–32 at τ = 0.9 on digits and MNIST
      ... -- --activations      modified activations instead of a preference (after the study)
      ... -- --fresh            forget finished cells and start over
      ... -- --out DIR          write elsewhere
      ... -- --seeds N          training seeds per fold (3; the tables depend on it)
      ... -- --threads N        runs trained at once (the processor count; the tables do not depend on it);
                                for mnist784-0 the threads of each training step (its folds run one after the other)
      ... -- --task NAME        one task only (tic-tac-toe, vote, digits-0, mnist-0, mnist784-0); mnist784-0 alone
                                replaces only its own section of results.md
    """;
string[] flags = ["--quick", "--capacity", "--activations", "--fresh"];
string[] valued = ["--out", "--seeds", "--threads", "--task"];
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(Usage);
    return 0;
}

for (int i = 0; i < args.Length; i++)
{
    if (valued.Contains(args[i]) && i + 1 < args.Length)
    {
        i++;
    }
    else if (!flags.Contains(args[i]))
    {
        Console.Error.WriteLine(valued.Contains(args[i])
            ? $"{args[i]} needs a value (--help lists the options)."
            : $"Unknown option '{args[i]}' (--help lists the options); nothing was run.");
        return 1;
    }
}

bool quick = args.Contains("--quick");
bool capacity = args.Contains("--capacity");
string output = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault() ?? Path.Combine(RepositoryRoot(), "docs", "study");
Directory.CreateDirectory(output);
string statePath = Path.Combine(output, quick ? ".state-quick.json" : capacity ? ".state-capacity.json" : ".state.json");
if (args.Contains("--fresh") && File.Exists(statePath) && args.SkipWhile(a => a != "--task").Skip(1).FirstOrDefault() != FullResolution.TaskName)
{
    File.Delete(statePath);
}

StudyOptions options = quick ? new StudyOptions { Taus = [0.5, 0.9], Folds = 2, Seeds = 2 }
    : capacity ? new StudyOptions { Taus = [0.9], Variants = [Variant.Free, Variant.Cube], Models = [Model.Neuron, Model.Hidden2, Model.Hidden4, Model.Hidden8, Model.Hidden16, Model.Hidden32] }
    : new StudyOptions();
if (Number("--seeds") is int seeds)
{
    options = options with { Seeds = seeds };
}

if (Number("--threads") is int threads)
{
    options = options with { Threads = threads };
}
var clock = Stopwatch.StartNew();
string? only = args.SkipWhile(a => a != "--task").Skip(1).FirstOrDefault();
string fullStatePath = Path.Combine(output, ".state-" + FullResolution.TaskName + ".json");
if (args.Contains("--fresh") && File.Exists(fullStatePath) && !quick && !capacity)
{
    File.Delete(fullStatePath);
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
    Console.WriteLine("Stopping after this fold; finished cells are saved and a rerun resumes.");
};
if (only == FullResolution.TaskName)
{
    return RunFullResolution() ? 0 : 130;
}

var tasks = quick ? [StudyData.TicTacToeTask()] : capacity ? [StudyData.DigitsTask(0), StudyData.MnistTask(0)] : StudyData.All();
if (only is not null)
{
    tasks = [.. tasks.Where(t => t.Name == only)];
    if (tasks.Count == 0)
    {
        Console.Error.WriteLine($"--task {only}: no such task (tic-tac-toe, vote, digits-0, mnist-0, {FullResolution.TaskName}); nothing was run.");
        return 1;
    }
}
foreach (StudyTask task in tasks)
{
    Console.WriteLine($"{task.Name}: {task.Description}; {task.Data.Count} rows, {task.Data.InputCount} inputs, {task.Data.PositiveCount} positive");
}

var progress = new Inline(p => Console.WriteLine(
    $"[{p.CellsDone}/{p.CellsTotal}] {p.Cell}  elapsed {p.Elapsed:mm\\:ss}, left ~{(p.Remaining is TimeSpan r ? r.ToString(@"mm\:ss") : "?")}"));
StudyState state;
try
{
    state = StudyRunner.Run(tasks, options, statePath, progress, cancel.Token);
}
catch (OperationCanceledException)
{
    Console.WriteLine($"Stopped; state in {statePath}.");
    return 130;
}

if (capacity)
{
    string curve = Report.Capacity(tasks, state, options, 0.9, Path.Combine(output, "capacity.png"));
    AtomicFile.WriteText(Path.Combine(output, "capacity.md"), curve);
    Console.WriteLine(curve);
    Console.WriteLine($"Wrote {Path.Combine(output, "capacity.md")} and capacity.png in {clock.Elapsed:mm\\:ss}.");
    return 0;
}

if (args.Contains("--activations"))
{
    // The activation experiment reads the one-neuron cells of the main study (run that first).
    string activations = ActivationExperiment.Run(tasks, state, options) + "\n" + ActivationExperiment.Hidden(tasks, options);
    AtomicFile.WriteText(Path.Combine(output, "activations.md"), activations);
    Console.WriteLine(activations);
    Console.WriteLine($"Wrote {Path.Combine(output, "activations.md")} in {clock.Elapsed:mm\\:ss}.");
    return 0;
}

string table = Report.Summary(tasks, state, options) + "\n" + Report.Table(tasks, state, options);
AtomicFile.WriteText(Path.Combine(output, quick ? "results-quick.md" : "results.md"), table);
AtomicFile.WriteText(Path.Combine(output, quick ? "runs-quick.csv" : "runs.csv"), Report.Runs(tasks, state, options));
AtomicFile.WriteText(Path.Combine(output, quick ? "timings-quick.md" : "timings.md"), Report.Timings(tasks, state, options));
var plots = quick ? [] : Report.Plots(tasks, state, options, output);
Console.WriteLine();
Console.WriteLine(table);
Console.WriteLine($"Wrote {Path.Combine(output, quick ? "results-quick.md" : "results.md")} and {plots.Count} plots in {clock.Elapsed:mm\\:ss}.");
return quick || only is not null || RunFullResolution() ? 0 : 130;

// The fifth task: its own runs and state; its section of results.md replaced in place (the other tasks' rows untouched).
bool RunFullResolution()
{
    var fullOptions = new FullResolutionOptions();
    if (Number("--threads") is int trainingThreads)
    {
        fullOptions = fullOptions with { Threads = trainingThreads };
    }

    StudyTask full = StudyData.MnistFullTask(0);
    Console.WriteLine($"{full.Name}: {full.Description}; {full.Data.Count} rows, {full.Data.InputCount} inputs, {full.Data.PositiveCount} positive");
    string before = FullResolution.Load();
    var fullClock = Stopwatch.StartNew();
    FullResolutionState fullState;
    try
    {
        fullState = FullResolution.Run(full, fullOptions, fullStatePath, Console.WriteLine, cancel.Token);
    }
    catch (OperationCanceledException)
    {
        Console.WriteLine($"Stopped; state in {fullStatePath}.");
        return false;
    }

    string machine = $"{Environment.ProcessorCount} cores ({Cpu()}), load average {before} before and {FullResolution.Load()} after (1, 5, 15 min), {fullClock.Elapsed:mm\\:ss} in all";
    string command = "dotnet run -c Release --project examples/ClassificationStudy -- --task " + FullResolution.TaskName;
    string section = FullResolution.Report(fullState, fullOptions, command, machine);
    string resultsPath = Path.Combine(output, "results.md");
    AtomicFile.WriteText(resultsPath, FullResolution.Splice(File.Exists(resultsPath) ? File.ReadAllText(resultsPath) : "", section));
    Console.WriteLine();
    Console.WriteLine(section);
    Console.WriteLine($"Wrote the {FullResolution.TaskName} section of {resultsPath} in {fullClock.Elapsed:mm\\:ss}.");
    return true;
}

static string Cpu()
{
    string? name = File.Exists("/proc/cpuinfo")
        ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
        : null;
    return name ?? System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
}

int? Number(string option)
{
    string? value = args.SkipWhile(a => a != option).Skip(1).FirstOrDefault();
    if (value is null)
    {
        return null;
    }

    return int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n >= 1
        ? n
        : throw new ArgumentException($"{option} takes a whole number of at least 1; got '{value}'.");
}

static string RepositoryRoot()
{
    for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
    {
        if (File.Exists(Path.Combine(dir, "GenBias.sln")))
        {
            return dir;
        }
    }

    return Directory.GetCurrentDirectory();
}

internal sealed class Inline(Action<StudyProgress> handler) : IProgress<StudyProgress>
{
    public void Report(StudyProgress value) => handler(value);
}
