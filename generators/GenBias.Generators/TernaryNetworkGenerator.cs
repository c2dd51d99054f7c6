using System;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
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
            public const string SharedHintNames = nameof(SharedHintNames);
        }

        private const string NetworkAttribute = "GenBias.TernaryNetworkAttribute";
        private const string DenseAttribute = "GenBias.DenseAttribute";
        private const string PreferAttribute = "GenBias.PreferAttribute";

        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            // First: every class carrying [TernaryNetwork], read into an equatable model plus diagnostics. The
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
                .Select(static (pair, ct) => pair.Left.Pending is PendingModel pending ? ResolveSafely(pending, pair.Right, ct) : pair.Left)
                .WithTrackingName(TrackingNames.Resolve);

            // Second: the valid specs alone. Splitting them from the diagnostics means a diagnostics-only change
            // never regenerates source, and a source change never re-reports diagnostics.
            IncrementalValuesProvider<NetworkModel> models = results
                .Where(static r => r.Model != null)
                .Select(static (r, _) => r.Model!)
                .WithTrackingName(TrackingNames.Models);

            IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = results
                .Select(static (r, _) => r.Diagnostics)
                .Where(static d => d.Count > 0)
                .WithTrackingName(TrackingNames.Diagnostics);

            // Third: [Dense] on a class that has no [TernaryNetwork] would otherwise be silently ignored.
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

            // Stage 2b: hint names must be unique ignoring case, C# names are not ('Net' and 'NET'): the names that
            // share a hint name with another get a hash of their exact name. Only this list joins every model, so
            // adding or renaming a network re-emits the others only when it changes.
            IncrementalValueProvider<EquatableArray<string>> sharedHintNames = models
                .Select(static (m, _) => (m.HintName, m.FullName))
                .Collect()
                .Select(static (all, _) => new EquatableArray<string>(all
                    .GroupBy(n => n.HintName, StringComparer.OrdinalIgnoreCase)
                    .Where(g => g.Select(n => n.FullName).Distinct(StringComparer.Ordinal).Count() > 1)
                    .SelectMany(g => g.Select(n => n.FullName))
                    .Distinct(StringComparer.Ordinal).OrderBy(n => n, StringComparer.Ordinal).ToArray()))
                .WithTrackingName(TrackingNames.SharedHintNames);

            context.RegisterSourceOutput(models.Combine(sharedHintNames), static (spc, pair) => AddSource(spc, pair.Left, pair.Right));
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

        /// <summary>
        /// Emits one network. A failure here (a bug, or a name the compiler refuses) becomes a diagnostic naming the
        /// network: an exception would make the compiler drop every network's code, not only this one's.
        /// </summary>
        private static void AddSource(SourceProductionContext spc, NetworkModel model, EquatableArray<string> sharedHintNames)
        {
            string source;
            try
            {
                source = Emit(model);
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                spc.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.GeneratorFailure, null, model.FullName, e.GetType().Name + ": " + e.Message));
                return;
            }

            string hintName = sharedHintNames.Contains(model.FullName) ? GeneratedText.DistinctHintName(model.HintName, model.FullName) : model.HintName;
            spc.AddSource(hintName, source);
        }

        /// <summary><see cref="ExtractCore"/>, with a failure reported at the attribute instead of stopping the generator.</summary>
        private static ExtractionResult Extract(GeneratorAttributeSyntaxContext ctx, CancellationToken cancellationToken)
        {
            try
            {
                return ExtractCore(ctx, cancellationToken);
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                Location? where = ctx.Attributes.FirstOrDefault()?.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation()
                    ?? ctx.TargetNode.GetLocation();
                return new ExtractionResult(null, new EquatableArray<DiagnosticInfo>(new[]
                {
                    DiagnosticInfo.Create(DiagnosticDescriptors.GeneratorFailure, where, ctx.TargetSymbol.Name, e.GetType().Name + ": " + e.Message),
                }));
            }
        }

        /// <summary><see cref="Resolve"/>, with a failure reported at the attribute instead of stopping the generator.</summary>
        private static ExtractionResult ResolveSafely(PendingModel pending, ImmutableArray<AdditionalText> files, CancellationToken ct)
        {
            try
            {
                return Resolve(pending, files, ct);
            }
            catch (Exception e) when (!(e is OperationCanceledException))
            {
                return new ExtractionResult(null, new EquatableArray<DiagnosticInfo>(new[]
                {
                    new DiagnosticInfo(DiagnosticDescriptors.GeneratorFailure.Id, pending.Where,
                        new EquatableArray<string>(new[] { pending.Declared.FullName, e.GetType().Name + ": " + e.Message })),
                }));
            }
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
