using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using System.Linq;
using GenBias.Generators.Helpers;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GenBias.Generators
{
    public sealed partial class TernaryNetworkGenerator
    {
        /// <summary>
        /// The member names generated code may declare, per layer count (index 0: one layer), computed once from the
        /// emitter's own output, so that the list cannot drift from what is emitted.
        /// </summary>
        private static readonly System.Lazy<HashSet<string>>[] s_reservedNames = Enumerable.Range(1, ShapeRules.MaxLayers)
            .Select(count => new System.Lazy<HashSet<string>>(() => GeneratedMemberNames(count)))
            .ToArray();

        private static readonly System.Lazy<HashSet<string>> s_reservedWithModel = new System.Lazy<HashSet<string>>(ModelMemberNames);

        /// <summary>
        /// Every member name the generated code can declare in a network of <paramref name="layerCount"/> layers (with a
        /// model file: of any number of layers, and the compiled-in model's members). Shared: do not modify.
        /// </summary>
        internal static IReadOnlyCollection<string> ReservedNames(int layerCount, bool modelFile = false) =>
            modelFile ? s_reservedWithModel.Value : s_reservedNames[System.Math.Min(System.Math.Max(layerCount, 1), ShapeRules.MaxLayers) - 1].Value;

        /// <summary>
        /// Emits networks of <paramref name="layerCount"/> layers in every form the emitter distinguishes (tables or
        /// not, packed form or not, rows in lanes or not, one neuron or several) and collects the names of the members
        /// they declare.
        /// </summary>
        private static HashSet<string> GeneratedMemberNames(int layerCount)
        {
            var names = new HashSet<string>(System.StringComparer.Ordinal);
            int[] Widths(int hidden, int last) => Enumerable.Repeat(hidden, layerCount - 1).Concat(new[] { last }).ToArray();
            foreach ((int inputs, int[] widths) in new[]
            {
                // The smallest shapes that take each branch: widths of 8 are vectorised over outputs, more than 64
                // inputs have no packed form and no tables.
                (6, Widths(8, 1)),       // tables, a wide first layer
                (6, Widths(16, 1)),      // tables of stride 16 (sixteen-row batches)
                (6, Widths(1, 1)),       // tables, one first-layer neuron (gathered batches)
                (6, Widths(8, 8)),
                (6, Widths(17, 17)),     // tables, more than 8 neurons: the eight-row Vector512 kernel
                (65, Widths(8, 2)),      // no packed form, rows in lanes
                (65, Widths(8, 8)),      // the first layer by dot products (ShapeRules.DotsFirstLayer)
                (65, Widths(32, 32)),    // the first layer by columns (ShapeRules.AddsFirstLayerColumns)
                (65, Widths(2, 1)),      // no tables, narrow
                (3, Widths(2, 2)),
            })
            {
                AddMemberNames(Probe(inputs, widths), names);
            }

            return names;
        }

        /// <summary>
        /// The names of <see cref="GeneratedMemberNames"/> for every layer count, and those of a compiled-in model
        /// (written as an array, and as base64 text).
        /// </summary>
        private static HashSet<string> ModelMemberNames()
        {
            var names = new HashSet<string>(System.StringComparer.Ordinal);
            for (int count = 1; count <= ShapeRules.MaxLayers; count++)
            {
                names.UnionWith(ReservedNames(count));
            }

            NetworkModel model = Probe(3, new[] { 2, 1 });
            foreach (int embedded in new[] { 11, MaxReadableEmbedded + 1 })
            {
                AddMemberNames(model with { ModelFile = "m.json", ParameterBits = new EquatableArray<int>(new int[embedded]) }, names);
            }

            return names;
        }

        private static NetworkModel Probe(int inputs, int[] widths)
        {
            int layerInputs = inputs;
            var layers = new List<LayerModel>();
            foreach (int width in widths)
            {
                layers.Add(new LayerModel(layers.Count, layerInputs, width, "Tanh"));
                layerInputs = width;
            }

            return new NetworkModel(null, "ReservedNamesProbe", "class", EquatableArray<string>.Empty, inputs,
                new EquatableArray<LayerModel>(layers), EquatableArray<PreferenceModel>.Empty, "ReservedNamesProbe.g.cs");
        }

        /// <summary>
        /// Adds the names of the members <paramref name="model"/>'s generated code declares: each declaration's first
        /// line, as the writer saw it, parsed alone (the whole file would take the parser a hundred times longer).
        /// Constructors and explicit interface implementations are left out: they cannot collide with the user's members.
        /// </summary>
        private static void AddMemberNames(NetworkModel model, HashSet<string> names)
        {
            var declarations = new List<string>();
            Emit(model, declarations);
            foreach (string line in declarations)
            {
                switch (SyntaxFactory.ParseMemberDeclaration(line))
                {
                    case FieldDeclarationSyntax field:
                        names.UnionWith(field.Declaration.Variables.Select(v => v.Identifier.ValueText));
                        break;
                    case PropertyDeclarationSyntax property when property.ExplicitInterfaceSpecifier == null:
                        names.Add(property.Identifier.ValueText);
                        break;
                    case MethodDeclarationSyntax method when method.ExplicitInterfaceSpecifier == null:
                        names.Add(method.Identifier.ValueText);
                        break;
                    case BaseTypeDeclarationSyntax nested:
                        names.Add(nested.Identifier.ValueText);
                        break;
                    case ConstructorDeclarationSyntax _:
                    case PropertyDeclarationSyntax { ExplicitInterfaceSpecifier: { } }:
                    case MethodDeclarationSyntax { ExplicitInterfaceSpecifier: { } }:
                        break;
                    default:
                        throw new System.InvalidOperationException("The generated declaration '" + line + "' names no member the reserved-name check knows.");
                }
            }
        }
    }
}
