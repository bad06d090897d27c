using System.ComponentModel.DataAnnotations;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Identity;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Admin.ApiTokens;

public class IndexModel(PlatformDbContext db, ApiTokenService tokens, UserManager<PlatformUser> users) : PageModel
{
    public List<ApiToken> Tokens { get; private set; } = [];

    [BindProperty]
    public TokenInput Input { get; set; } = new();

    public sealed class TokenInput
    {
        [Required, StringLength(100, MinimumLength = 1)]
        public string Name { get; set; } = "";
    }

    public async Task OnGetAsync(CancellationToken ct) => Tokens = await db.ApiTokens.AsNoTracking().OrderByDescending(t => t.Id).ToListAsync(ct);

    public async Task<IActionResult> OnPostCreateAsync(CancellationToken ct)
    {
        if (!ModelState.IsValid)
        {
            await OnGetAsync(ct);
            return Page();
        }

        // The token acts for the admin who made it, with their roles as they are at each request.
        var (_, plain) = await tokens.CreateAsync(Input.Name.Trim(), users.GetUserId(User)!, User.Identity?.Name, ct);
        TempData["NewToken"] = plain;
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostRevokeAsync(int id, CancellationToken ct)
    {
        TempData["Flash"] = await tokens.RevokeAsync(id, ct) ? "Token revoked." : "That token was already revoked.";
        return RedirectToPage();
    }
}
