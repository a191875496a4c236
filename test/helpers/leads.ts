/** Sample payloads, taken from Microsoft's documentation. */

export const microsoftExample = {
  UserDetails: {
    FirstName: 'Some',
    LastName: 'One',
    Email: 'someone@contoso.com',
    Phone: '16175555555',
    Country: 'USA',
    Company: 'Contoso',
    Title: 'Esquire',
  },
  LeadSource: 'AzureMarketplace',
  ActionCode: 'INS',
  OfferTitle: 'Test Microsoft',
  Description: 'Test run through Power Automate',
}

export function seedLead(leadSource: string, customer: Record<string, string>) {
  return { LeadSource: leadSource, CustomerInfo: customer }
}

export const johnSmith = {
  FirstName: 'John',
  LastName: 'Smith',
  Email: 'jsmith@microsoft.com',
  Phone: '1234567890',
  Country: 'US',
  Company: 'Microsoft',
  Title: 'CTO',
}
