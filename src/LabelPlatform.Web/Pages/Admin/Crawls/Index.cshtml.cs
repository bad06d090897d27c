using System.ComponentModel.DataAnnotations;
using LabelPlatform.Core.Crawling;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Datasets;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Admin.Crawls;

public class IndexModel(PlatformDbContext db, CrawlService crawls, DatasetService datasets) : PageModel
{
    public sealed record Row(int Id, string Dataset, CrawlState State, string Seeds, DateTimeOffset CreatedAt, string? CreatedBy, long? JobRunId);

    [BindProperty]
    public StartInput Input { get; set; } = new();

    public sealed class StartInput
    {
        [Required, StringLength(100)]
        [RegularExpression("^[A-Za-z0-9][A-Za-z0-9._-]*$", ErrorMessage = "Use letters, digits, '-', '_' or '.', starting with a letter or digit.")]
        public string Dataset { get; set; } = "";

        /// <summary>One seed URL per line.</summary>
        [Required(ErrorMessage = "Give at least one seed URL.")]
        public string Seeds { get; set; } = "";

        [Range(0, 1000)]
        public int? MaxDepth { get; set; }

        [Range(1, 1_000_000)]
        public int? MaxPages { get; set; }

        [Range(0, 10_000_000)]
        public int? MaxImages { get; set; }

        /// <summary>Hosts in scope, one per line or comma-separated; empty: the seeds' hosts.</summary>
        public string? AllowDomains { get; set; }
    }

    public List<Row> Rows { get; private set; } = [];
    public CrawlerOptions Defaults => crawls.Options;

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        CrawlSettings? settings = null;
        if (ModelState.IsValid)
        {
            try
            {
                settings = crawls.BuildSettings(SplitUrls(Input.Seeds), Input.MaxDepth, Input.MaxPages, Input.MaxImages, SplitList(Input.AllowDomains));
            }
            catch (CrawlException ex)
            {
                ModelState.AddModelError("Input.Seeds", ex.Message);
            }
        }

        if (!ModelState.IsValid || settings is null)
        {
            await LoadAsync(ct);
            return Page();
        }

        var dataset = await datasets.GetOrCreateAsync(Input.Dataset, null, User.Identity?.Name, ct);
        var (crawl, _) = await crawls.CreateAsync(dataset.Id, settings, User.Identity?.Name, enqueue: true, ct);
        TempData["Flash"] = $"Crawl {crawl.Id} started.";
        return Redirect($"/Admin/Crawls/Details/{crawl.Id}");
    }

    /// <summary>One URL per line or separated by spaces; a comma belongs to the URL (…?ids=1,2).</summary>
    public static string[] SplitUrls(string? text) => (text ?? "").Split(['\n', '\r', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Domains: by line, space or comma.</summary>
    public static string[] SplitList(string? text) => (text ?? "").Split(['\n', '\r', ',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private async Task LoadAsync(CancellationToken ct)
    {
        var rows = await db.Crawls.AsNoTracking().OrderByDescending(c => c.Id).Take(200)
            .Join(db.Datasets, c => c.DatasetId, d => d.Id, (c, d) => new { Crawl = c, Dataset = d.Name }).ToListAsync(ct);
        Rows = [.. rows.Select(r => new Row(r.Crawl.Id, r.Dataset, r.Crawl.State, string.Join(" ", CrawlService.ReadSettings(r.Crawl).Seeds), r.Crawl.CreatedAt, r.Crawl.CreatedBy, r.Crawl.CurrentJobRunId))];
    }
}
