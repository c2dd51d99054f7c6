using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using GenBias.Generators.Helpers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace GenBias.Generators
{
    public sealed partial class TernaryNetworkGenerator
    {
        /// <summary>
        /// Reads the model file of a <c>[TernaryNetwork(Model = "…")]</c> network from the AdditionalFiles: the shape,
        /// the parameters (embedded as float bits) and, unless the class declares [Prefer], the preferences.
        /// </summary>
        private static ExtractionResult Resolve(PendingModel pending, ImmutableArray<AdditionalText> files, CancellationToken ct)
        {
            NetworkModel declared = pending.Declared;
            // The attribute's location as recorded at extraction (a Location rebuilt from it has no syntax tree).
            DiagnosticInfo At(DiagnosticDescriptor descriptor, params string[] arguments) =>
                new DiagnosticInfo(descriptor.Id, pending.Where, new EquatableArray<string>(arguments));
            ExtractionResult Fail(DiagnosticDescriptor descriptor, params string[] arguments) =>
                new ExtractionResult(null, new EquatableArray<DiagnosticInfo>(new[] { At(descriptor, arguments) }));

            string wanted = Normalize(pending.ModelFile);
            List<AdditionalText> matches = files.Where(f => Matches(Normalize(f.Path), wanted)).ToList();
            if (matches.Count == 0)
            {
                string near = files.Where(f => System.IO.Path.GetFileName(f.Path) == System.IO.Path.GetFileName(wanted)).Select(f => f.Path).FirstOrDefault() is string other
                    ? $" (an AdditionalFiles item '{other}' has its name but not its path)" : "";
                return Fail(DiagnosticDescriptors.ModelFileMissing, declared.TypeName, pending.ModelFile, near);
            }

            if (matches.Count > 1)
            {
                return Fail(DiagnosticDescriptors.ModelFileInvalid, declared.TypeName,
                    $"'{pending.ModelFile}' matches {matches.Count} AdditionalFiles items ({string.Join(", ", matches.Select(m => m.Path))}); give more of its path");
            }

            AdditionalText file = matches[0];
            SourceText? text = file.GetText(ct);
            if (text == null)
            {
                return Fail(DiagnosticDescriptors.ModelFileInvalid, declared.TypeName, $"{file.Path} could not be read");
            }

            ModelContent? content = ModelFileReader.Read(text.ToString(), out string error);
            if (content == null)
            {
                return Fail(DiagnosticDescriptors.ModelFileInvalid, declared.TypeName, $"{file.Path}, {error}");
            }

            ct.ThrowIfCancellationRequested();
            bool declaredShape = declared.Layers.Count > 0;
            if ((declared.Inputs != 0 && declared.Inputs != content.Inputs) ||
                (declaredShape && (declared.Layers.Count != content.Layers.Count ||
                                   declared.Layers.Zip(content.Layers, (a, b) => a.Width == b.Width && a.Activation == b.Activation).Any(same => !same))))
            {
                string mine = declaredShape
                    ? $"{declared.Inputs} inputs → " + string.Join(" → ", declared.Layers.Select(l => $"Dense({l.Width}, {l.Activation})"))
                    : $"Inputs = {declared.Inputs}";
                return Fail(DiagnosticDescriptors.ModelShapeMismatch, declared.TypeName, mine, pending.ModelFile, content.DescribeShape());
            }

            var diagnostics = new List<DiagnosticInfo>();
            bool cubePreferences = content.Preferences.Any(p => p.Distribution == "UniformCube");
            if (cubePreferences && content.OffGrid != null)
            {
                diagnostics.Add(At(DiagnosticDescriptors.ModelOffGrid, declared.TypeName, pending.ModelFile, content.OffGrid));
            }

            NetworkModel model = declared with
            {
                Inputs = content.Inputs,
                Layers = new EquatableArray<LayerModel>(content.Layers),
                Preferences = pending.HasPrefer ? declared.Preferences : new EquatableArray<PreferenceModel>(content.Preferences),
                ParameterBits = new EquatableArray<int>(content.ParameterBits),
            };
            return new ExtractionResult(model, new EquatableArray<DiagnosticInfo>(diagnostics));
        }

        private static string Normalize(string path) => path.Replace('\\', '/');

        /// <summary>The file's path is the wanted one, or ends with it at a folder boundary.</summary>
        private static bool Matches(string path, string wanted)
        {
            string trimmed = wanted.StartsWith("./", System.StringComparison.Ordinal) ? wanted.Substring(2) : wanted;
            return path == trimmed || path.EndsWith("/" + trimmed, System.StringComparison.Ordinal);
        }
    }
}
