using System.Collections.Immutable;
using GenBias.Generators.Helpers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GenBias.Generators
{
    /// <summary>
    /// Turns <c>[TernaryNetwork]</c> + <c>[Dense]</c> partial classes into forward and backward code specialised to
    /// the declared shape.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed partial class TernaryNetworkGenerator : IIncrementalGenerator
    {
        /// <summary>Tracking names of the pipeline steps, for incrementality tests.</summary>
        public static class TrackingNames
        {
            public const string Extract = nameof(Extract);
            public const string Resolve = nameof(Resolve);
            public const string Models = nameof(Models);
            public const string Diagnostics = nameof(Diagnostics);
            public const string OrphanDense = nameof(OrphanDense);
            public const string OrphanPrefer = nameof(OrphanPrefer);
        }

        private const string NetworkAttribute = "GenBias.TernaryNetworkAttribute";
        private const string DenseAttribute = "GenBias.DenseAttribute";
        private const string PreferAttribute = "GenBias.PreferAttribute";

        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            // Stage 1: every class carrying [TernaryNetwork], read into an equatable model plus diagnostics. The
            // model holds no symbols or syntax, so an unrelated edit compares equal and nothing downstream reruns.
            IncrementalValuesProvider<ExtractionResult> results = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    NetworkAttribute,
                    static (node, _) => node is TypeDeclarationSyntax,
                    static (ctx, ct) => Extract(ctx, ct))
                .WithTrackingName(TrackingNames.Extract);

            // Stage 1b: a network compiled from a model file reads it from AdditionalFiles. Only such networks look at
            // the files; the others pass through unchanged (equal, so nothing downstream reruns), and a network whose
            // file did not change resolves to an equal model.
            IncrementalValueProvider<ImmutableArray<AdditionalText>> files = context.AdditionalTextsProvider.Collect();
            results = results
                .Combine(files)
                .Select(static (pair, ct) => pair.Left.Pending is PendingModel pending ? Resolve(pending, pair.Right, ct) : pair.Left)
                .WithTrackingName(TrackingNames.Resolve);

            // Stage 2: the valid specs alone. Splitting them from the diagnostics means a diagnostics-only change
            // never regenerates source, and a source change never re-reports diagnostics.
            IncrementalValuesProvider<NetworkModel> models = results
                .Where(static r => r.Model != null)
                .Select(static (r, _) => r.Model!)
                .WithTrackingName(TrackingNames.Models);

            IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = results
                .Select(static (r, _) => r.Diagnostics)
                .Where(static d => d.Count > 0)
                .WithTrackingName(TrackingNames.Diagnostics);

            // Stage 3: [Dense] on a class that has no [TernaryNetwork] would otherwise be silently ignored.
            IncrementalValuesProvider<DiagnosticInfo> orphanDense = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    DenseAttribute,
                    static (node, _) => node is TypeDeclarationSyntax,
                    static (ctx, _) => CheckHasNetwork(ctx, DenseAttribute, DiagnosticDescriptors.DenseWithoutNetwork))
                .Where(static d => d != null)
                .Select(static (d, _) => d!)
                .WithTrackingName(TrackingNames.OrphanDense);

            // Stage 3b: the same for [Prefer].
            IncrementalValuesProvider<DiagnosticInfo> orphanPrefer = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    PreferAttribute,
                    static (node, _) => node is TypeDeclarationSyntax,
                    static (ctx, _) => CheckHasNetwork(ctx, PreferAttribute, DiagnosticDescriptors.PreferWithoutNetwork))
                .Where(static d => d != null)
                .Select(static (d, _) => d!)
                .WithTrackingName(TrackingNames.OrphanPrefer);

            context.RegisterSourceOutput(models, static (spc, model) =>
                spc.AddSource(model.HintName, Emit(model)));
            context.RegisterSourceOutput(diagnostics, static (spc, list) =>
            {
                foreach (DiagnosticInfo info in list)
                {
                    spc.ReportDiagnostic(info.ToDiagnostic());
                }
            });
            context.RegisterSourceOutput(orphanDense, static (spc, info) => spc.ReportDiagnostic(info.ToDiagnostic()));
            context.RegisterSourceOutput(orphanPrefer, static (spc, info) => spc.ReportDiagnostic(info.ToDiagnostic()));
        }

        private static DiagnosticInfo? CheckHasNetwork(GeneratorAttributeSyntaxContext ctx, string attributeName, DiagnosticDescriptor descriptor)
        {
            INamedTypeSymbol type = (INamedTypeSymbol)ctx.TargetSymbol;
            foreach (AttributeData attribute in type.GetAttributes())
            {
                if (attribute.AttributeClass?.ToDisplayString() == NetworkAttribute)
                {
                    return null;
                }
            }

            // Report once, at the first such attribute of the first declaration that has one.
            ImmutableArray<AttributeData> found = ctx.Attributes;
            if (found.Length == 0 || !IsFirstDeclarationWith(type, ctx.TargetNode, attributeName))
            {
                return null;
            }

            return DiagnosticInfo.Create(descriptor, found[0].ApplicationSyntaxReference?.GetSyntax().GetLocation(), type.Name);
        }

        private static bool IsFirstDeclarationWith(INamedTypeSymbol type, SyntaxNode node, string attributeName)
        {
            foreach (AttributeData attribute in type.GetAttributes())
            {
                if (attribute.AttributeClass?.ToDisplayString() == attributeName)
                {
                    SyntaxNode? syntax = attribute.ApplicationSyntaxReference?.GetSyntax();
                    return syntax != null && node.Contains(syntax);
                }
            }

            return false;
        }
    }
}
