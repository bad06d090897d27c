using System.CommandLine;
using LabelPlatform.Core.Deletion;

namespace LabelPlatform.Web.Cli;

/// <summary>
/// `delete-dataset --id N [--yes]`, `delete-model --id N [--yes]`, `delete-crawl --id N [--yes]`: the same services as
/// the admin pages. Without --yes the effect is printed and nothing is deleted (exit 3), so a script must say it means it.
/// </summary>
internal static class DeleteCommands
{
    public static IEnumerable<Command> Create(TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?>? settings)
    {
        yield return Verb("delete-dataset", "Delete a dataset with its images, files, labels, vectors, maps and crawls (finished evaluation reports are kept)", stdout, stderr, settings,
            async (services, id, yes, ct) =>
            {
                var deletion = services.GetRequiredService<DatasetDeletion>();
                var plan = await deletion.PlanAsync(id, ct);
                return plan is null ? (null, null) : (Describe(plan), yes ? async () => await deletion.DeleteAsync(id, ct) is not null : null);
            });
        yield return Verb("delete-model", "Delete a model version (with its float variant) and its vectors and maps (finished evaluation reports are kept)", stdout, stderr, settings,
            async (services, id, yes, ct) =>
            {
                var deletion = services.GetRequiredService<ModelDeletion>();
                var plan = await deletion.PlanAsync(id, ct);
                return plan is null ? (null, null) : (Describe(plan), yes ? async () => await deletion.DeleteAsync(id, ct) is not null : null);
            });
        yield return Verb("delete-crawl", "Delete a crawl (not running) with its URLs and the images it stored", stdout, stderr, settings,
            async (services, id, yes, ct) =>
            {
                var deletion = services.GetRequiredService<CrawlDeletion>();
                var plan = await deletion.PlanAsync(id, ct);
                return plan is null ? (null, null) : (Describe(plan), yes ? async () => await deletion.DeleteAsync(id, ct) is not null : null);
            });
    }

    internal static (string Text, string? Refusal) Describe(DatasetDeletionPlan p) => (
        $"dataset {p.Name} (#{p.DatasetId}): {p.Images:N0} image(s), {p.FilesRemoved:N0} stored file(s) ({p.FilesKept:N0} shared, kept), {p.LabelEvents:N0} label event(s), " +
        $"{p.Votes:N0} vote(s), {p.FinalLabels:N0} final label(s), {p.Embeddings:N0} embedding(s), {p.Maps:N0} map(s), {p.Crawls:N0} crawl(s), {p.Splits:N0} split(s); " +
        $"{p.EvaluationsKept:N0} finished evaluation run(s) kept as a record, {p.EvaluationsRemoved:N0} unfinished removed", p.Refusal);

    internal static (string Text, string? Refusal) Describe(ModelDeletionPlan p) => (
        $"model {string.Join(" and ", p.Versions)} (#{p.ModelId}): {p.Embeddings:N0} embedding(s), {p.Maps:N0} map(s), {p.FilesRemoved} ONNX file(s), " +
        $"{p.DatasetsUsingIt:N0} dataset(s) lose their labelling model; {p.EvaluationsKept:N0} finished evaluation run(s) kept as a record, {p.EvaluationsRemoved:N0} unfinished removed", p.Refusal);

    internal static (string Text, string? Refusal) Describe(CrawlDeletionPlan p) => (
        $"crawl {p.CrawlId} ({p.State}): {p.Urls:N0} URL(s), {p.Images:N0} image(s), {p.FilesRemoved:N0} stored file(s) ({p.FilesKept:N0} shared, kept), " +
        $"{p.LabelEvents:N0} label event(s), {p.Embeddings:N0} embedding(s); {p.EvaluationsAffected:N0} evaluation run(s) used some of its images (kept)", p.Refusal);

    private delegate Task<((string Text, string? Refusal)? Plan, Func<Task<bool>>? Delete)> Planner(IServiceProvider services, int id, bool yes, CancellationToken cancellationToken);

    private static Command Verb(string name, string description, TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?>? settings, Planner planner)
    {
        var id = new Option<int>("--id") { Description = "Id (shown on its page and in lists)", Required = true };
        var yes = new Option<bool>("--yes") { Description = "Really delete; without it the effect is printed and nothing changes" };
        var command = new Command(name, description) { id, yes };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var host = await PlatformCli.StartHostAsync(settings, cancellationToken);
            var (plan, delete) = await planner(host.Services, parse.GetValue(id), parse.GetValue(yes), cancellationToken);
            if (plan is not { } p)
            {
                await stderr.WriteLineAsync($"error: no such id {parse.GetValue(id)}");
                return 2;
            }

            if (p.Refusal is { } refusal)
            {
                await stderr.WriteLineAsync($"refused: {refusal}");
                return 1;
            }

            if (delete is null)
            {
                await stdout.WriteLineAsync($"would delete {p.Text}. Nothing deleted: add --yes to delete.");
                return 3;
            }

            try
            {
                await delete();
            }
            catch (DeletionRefusedException ex)
            {
                await stderr.WriteLineAsync($"refused: {ex.Message}");
                return 1;
            }

            await stdout.WriteLineAsync($"deleted {p.Text}.");
            return 0;
        });
        return command;
    }
}
