using System.ComponentModel.DataAnnotations;
using LabelPlatform.Core.Identity;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Web.Pages.Admin.Users;

public class IndexModel(UserManager<PlatformUser> users, TimeProvider clock) : PageModel
{
    public sealed record UserRow(string Id, string Email, string? DisplayName, IList<string> Roles, DateTimeOffset? LockedOutUntil);

    public List<UserRow> Users { get; private set; } = [];

    [BindProperty]
    public CreateUserInput Input { get; set; } = new();

    public sealed class CreateUserInput
    {
        [Required, EmailAddress, StringLength(256)]
        public string Email { get; set; } = "";

        [StringLength(200)]
        public string? DisplayName { get; set; }

        [Required, StringLength(200, MinimumLength = 10)]
        public string Password { get; set; } = "";

        public List<string> Roles { get; set; } = [];
    }

    public async Task OnGetAsync() => await LoadAsync();

    public async Task<IActionResult> OnPostCreateAsync()
    {
        var unknown = Input.Roles.Except(Roles.All).ToList();
        if (unknown.Count > 0)
        {
            ModelState.AddModelError("Input.Roles", $"Unknown role(s): {string.Join(", ", unknown)}.");
        }

        if (!ModelState.IsValid)
        {
            await LoadAsync();
            return Page();
        }

        var user = new PlatformUser { UserName = Input.Email, Email = Input.Email, EmailConfirmed = true, DisplayName = Input.DisplayName, CreatedAt = clock.GetUtcNow() };
        var created = await users.CreateAsync(user, Input.Password);
        if (created.Succeeded && Input.Roles.Count > 0)
        {
            created = await users.AddToRolesAsync(user, Input.Roles.Distinct());
        }

        if (!created.Succeeded)
        {
            foreach (var error in created.Errors)
            {
                ModelState.AddModelError("Input", error.Description);
            }

            await LoadAsync();
            return Page();
        }

        TempData["Flash"] = $"User {Input.Email} created{(Input.Roles.Count > 0 ? $" with role(s) {string.Join(", ", Input.Roles)}" : "")}.";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostRolesAsync(string userId, List<string> roles)
    {
        var user = await users.FindByIdAsync(userId);
        if (user is null)
        {
            return NotFound();
        }

        roles = [.. roles.Intersect(Roles.All)];
        var current = await users.GetRolesAsync(user);
        if (user.Id == users.GetUserId(User) && current.Contains(Roles.Admin) && !roles.Contains(Roles.Admin))
        {
            // Keeps at least the acting admin able to manage users.
            TempData["Flash"] = "You cannot remove your own Admin role.";
            return RedirectToPage();
        }

        await users.RemoveFromRolesAsync(user, current.Except(roles));
        await users.AddToRolesAsync(user, roles.Except(current));
        // Role changes apply at the user's next sign-in; rotate the stamp so existing cookies are re-validated.
        await users.UpdateSecurityStampAsync(user);
        TempData["Flash"] = $"Roles of {user.Email}: {(roles.Count > 0 ? string.Join(", ", roles) : "none")}.";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostUnlockAsync(string userId)
    {
        var user = await users.FindByIdAsync(userId);
        if (user is null)
        {
            return NotFound();
        }

        await users.SetLockoutEndDateAsync(user, null);
        await users.ResetAccessFailedCountAsync(user);
        TempData["Flash"] = $"{user.Email} unlocked.";
        return RedirectToPage();
    }

    private async Task LoadAsync()
    {
        var all = await users.Users.OrderBy(u => u.Email).ToListAsync();
        var now = clock.GetUtcNow();
        Users = [];
        foreach (var user in all)
        {
            Users.Add(new UserRow(user.Id, user.Email ?? user.UserName ?? user.Id, user.DisplayName, await users.GetRolesAsync(user),
                user.LockoutEnd is { } end && end > now ? end : null));
        }
    }
}
